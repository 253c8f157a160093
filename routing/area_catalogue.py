"""Default product areas of the Customer Success Hub (R-AREA).

Areas are data that operations can edit in the admin; this module only holds the
defaults used to seed them. Each area carries its name and a short description in
every interface language (the eight support languages), the picture is served from
``static/img/areas/<slug>.svg``, and the flags below feed the contact-method rules
(R-METHODS): chat languages, whether a scheduled conference call may be booked, and
whether Enterprise Support seat holders get the Enterprise phone line.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES: tuple[str, ...] = ("en", "it", "fr", "de", "es", "pt", "nl", "ja")
"""Languages every area must have a name and a description in."""


@dataclass(frozen=True)
class AreaText:
    name: str
    description: str


@dataclass(frozen=True)
class AreaDefault:
    slug: str
    order: int
    texts: dict[str, AreaText]  # one per language of LANGUAGES
    redirects_to_discover: bool
    chat_languages: tuple[str, ...]
    conference_call_eligible: bool
    enterprise_phone: bool

    @property
    def image_path(self) -> str:
        """Path of the area's picture, relative to the static root."""
        return f"img/areas/{self.slug}.svg"


PRODUCT_AREAS: tuple[AreaDefault, ...] = (
    AreaDefault(
        slug="surveys-xm-directory",
        order=10,
        texts={
            "en": AreaText(
                name="Surveys & XM Directory",
                description=(
                    "Building, editing and sending surveys: question types, survey flow and "
                    "logic, email invitations and reminders, contact lists and XM Directory, "
                    "and importing or exporting response data."
                ),
            ),
            "it": AreaText(
                name="Sondaggi e XM Directory",
                description=(
                    "Creazione, modifica e distribuzione dei sondaggi: tipi di domanda, flusso "
                    "e logica del sondaggio, inviti e promemoria via e-mail, elenchi di "
                    "contatti e XM Directory, oltre all’importazione e all’esportazione dei "
                    "dati delle risposte."
                ),
            ),
            "fr": AreaText(
                name="Enquêtes et XM Directory",
                description=(
                    "Création, modification et diffusion des enquêtes : types de questions, "
                    "déroulement et logique de l’enquête, invitations et relances par e-mail, "
                    "listes de contacts et XM Directory, ainsi que l’import et l’export des "
                    "réponses."
                ),
            ),
            "de": AreaText(
                name="Umfragen & XM Directory",
                description=(
                    "Umfragen erstellen, bearbeiten und versenden: Fragetypen, Umfrageablauf und "
                    "Logik, E-Mail-Einladungen und Erinnerungen, Kontaktlisten und XM Directory "
                    "sowie der Import und Export von Antwortdaten."
                ),
            ),
            "es": AreaText(
                name="Encuestas y XM Directory",
                description=(
                    "Creación, edición y envío de encuestas: tipos de pregunta, flujo y lógica "
                    "de la encuesta, invitaciones y recordatorios por correo electrónico, listas "
                    "de contactos y XM Directory, e importación o exportación de los datos de "
                    "respuesta."
                ),
            ),
            "pt": AreaText(
                name="Inquéritos e XM Directory",
                description=(
                    "Criação, edição e envio de inquéritos: tipos de pergunta, fluxo e lógica do "
                    "inquérito, convites e lembretes por e-mail, listas de contactos e XM "
                    "Directory, e importação ou exportação dos dados das respostas."
                ),
            ),
            "nl": AreaText(
                name="Enquêtes & XM Directory",
                description=(
                    "Enquêtes maken, bewerken en versturen: vraagtypen, enquêteverloop en "
                    "logica, uitnodigingen en herinneringen per e-mail, contactlijsten en XM "
                    "Directory, en het importeren of exporteren van antwoordgegevens."
                ),
            ),
            "ja": AreaText(
                name="アンケートと XM Directory",
                description=(
                    "アンケートの作成、編集、配信に関するサポートです。質問タイプ、アンケートフロ"
                    "ーとロジック、メールでの招待とリマインダー、連絡先リストと XM Directory、回"
                    "答データのインポートとエクスポートを扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en", "es"),
        conference_call_eligible=True,
        enterprise_phone=True,
    ),
    AreaDefault(
        slug="employee-experience",
        order=20,
        texts={
            "en": AreaText(
                name="Employee Experience",
                description=(
                    "Employee feedback programmes such as engagement, pulse, lifecycle and "
                    "ad hoc research projects: setting up participants and hierarchies, "
                    "collecting responses and building the dashboards that share results with "
                    "managers."
                ),
            ),
            "it": AreaText(
                name="Esperienza dei dipendenti",
                description=(
                    "Programmi di ascolto dei dipendenti come engagement, pulse, ciclo di vita "
                    "e ricerche ad hoc: configurazione dei partecipanti e delle gerarchie, "
                    "raccolta delle risposte e creazione delle dashboard che condividono i "
                    "risultati con i responsabili."
                ),
            ),
            "fr": AreaText(
                name="Expérience collaborateur",
                description=(
                    "Programmes d’écoute des collaborateurs (engagement, pulse, cycle de vie "
                    "ou études ponctuelles) : configuration des participants et des "
                    "hiérarchies, collecte des réponses et création des tableaux de bord "
                    "partagés avec les managers."
                ),
            ),
            "de": AreaText(
                name="Employee Experience",
                description=(
                    "Feedbackprogramme für Mitarbeitende wie Engagement-, Puls- und "
                    "Lebenszyklusbefragungen oder Ad-hoc-Studien: Teilnehmende und Hierarchien "
                    "einrichten, Antworten erfassen und die Dashboards erstellen, die Ergebnisse "
                    "mit Führungskräften teilen."
                ),
            ),
            "es": AreaText(
                name="Experiencia del empleado",
                description=(
                    "Programas de escucha a los empleados, como engagement, pulso, ciclo de vida "
                    "e investigaciones puntuales: configuración de participantes y jerarquías, "
                    "recogida de respuestas y creación de los paneles que comparten los "
                    "resultados con los responsables."
                ),
            ),
            "pt": AreaText(
                name="Experiência do colaborador",
                description=(
                    "Programas de auscultação dos colaboradores, como engagement, pulso, ciclo "
                    "de vida e estudos pontuais: configuração de participantes e hierarquias, "
                    "recolha de respostas e criação dos painéis que partilham os resultados com "
                    "as chefias."
                ),
            ),
            "nl": AreaText(
                name="Medewerkerservaring",
                description=(
                    "Feedbackprogramma's voor medewerkers, zoals betrokkenheid, pulse, "
                    "levenscyclus en ad-hoconderzoek: deelnemers en hiërarchieën instellen, "
                    "antwoorden verzamelen en de dashboards bouwen die de resultaten met "
                    "leidinggevenden delen."
                ),
            ),
            "ja": AreaText(
                name="従業員エクスペリエンス",
                description=(
                    "エンゲージメント、パルス、ライフサイクル、臨時調査などの従業員フィードバック"
                    "プログラムに関するサポートです。参加者と組織階層の設定、回答の収集、結果をマ"
                    "ネージャーと共有するダッシュボードの作成を扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=True,
    ),
    AreaDefault(
        slug="cx-dashboards",
        order=30,
        texts={
            "en": AreaText(
                name="CX Dashboards",
                description=(
                    "Customer experience dashboards: adding and configuring widgets, mapping "
                    "survey fields to dashboard data, filters, and the roles and permissions "
                    "that decide which data each dashboard user can see."
                ),
            ),
            "it": AreaText(
                name="Dashboard CX",
                description=(
                    "Dashboard sull’esperienza dei clienti: aggiunta e configurazione dei "
                    "widget, mappatura dei campi del sondaggio sui dati della dashboard, filtri, "
                    "ruoli e autorizzazioni che stabiliscono quali dati vede ciascun utente."
                ),
            ),
            "fr": AreaText(
                name="Tableaux de bord CX",
                description=(
                    "Tableaux de bord de l’expérience client : ajout et paramétrage des "
                    "widgets, mappage des champs de l’enquête vers les données du tableau de "
                    "bord, filtres, ainsi que les rôles et autorisations qui déterminent ce "
                    "que voit chaque utilisateur."
                ),
            ),
            "de": AreaText(
                name="CX-Dashboards",
                description=(
                    "Dashboards zur Kundenerfahrung: Widgets hinzufügen und konfigurieren, "
                    "Umfragefelder den Dashboard-Daten zuordnen, Filter sowie die Rollen und "
                    "Berechtigungen, die festlegen, welche Daten jede Person im Dashboard sieht."
                ),
            ),
            "es": AreaText(
                name="Paneles CX",
                description=(
                    "Paneles de experiencia del cliente: añadir y configurar widgets, asignar "
                    "los campos de la encuesta a los datos del panel, filtros, y los roles y "
                    "permisos que deciden qué datos ve cada usuario del panel."
                ),
            ),
            "pt": AreaText(
                name="Painéis CX",
                description=(
                    "Painéis de experiência do cliente: adicionar e configurar widgets, associar "
                    "os campos do inquérito aos dados do painel, filtros, e as funções e "
                    "permissões que determinam que dados cada utilizador do painel pode ver."
                ),
            ),
            "nl": AreaText(
                name="CX-dashboards",
                description=(
                    "Dashboards voor klantervaring: widgets toevoegen en instellen, "
                    "enquêtevelden koppelen aan dashboardgegevens, filters, en de rollen en "
                    "rechten die bepalen welke gegevens elke dashboardgebruiker ziet."
                ),
            ),
            "ja": AreaText(
                name="CX ダッシュボード",
                description=(
                    "顧客エクスペリエンスのダッシュボードに関するサポートです。ウィジェットの追加"
                    "と設定、アンケート項目とダッシュボードデータの対応付け、フィルター、各ユーザ"
                    "ーが閲覧できるデータを決めるロールと権限を扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=True,
    ),
    AreaDefault(
        slug="bx-dashboards",
        order=40,
        texts={
            "en": AreaText(
                name="BX Dashboards",
                description=(
                    "Brand experience research and its dashboards: multi-category brand "
                    "trackers and brand health programmes, including brand funnels, "
                    "correspondence analysis and the imagery metrics that show how people see "
                    "your brand."
                ),
            ),
            "it": AreaText(
                name="Dashboard BX",
                description=(
                    "Ricerche sul brand e relative dashboard: tracker multicategoria e "
                    "programmi di monitoraggio della salute del brand, compresi funnel del "
                    "brand, analisi delle corrispondenze e metriche sull’immagine percepita del "
                    "marchio."
                ),
            ),
            "fr": AreaText(
                name="Tableaux de bord BX",
                description=(
                    "Études de marque et tableaux de bord associés : trackers de marque "
                    "multicatégories et programmes de suivi de la santé de la marque, y compris "
                    "entonnoirs de marque, analyses des correspondances et indicateurs d’image."
                ),
            ),
            "de": AreaText(
                name="BX-Dashboards",
                description=(
                    "Markenforschung und ihre Dashboards: kategorieübergreifende Markentracker "
                    "und Programme zur Markengesundheit, einschließlich Markentrichter, "
                    "Korrespondenzanalyse und Imagekennzahlen, die zeigen, wie Menschen Ihre "
                    "Marke wahrnehmen."
                ),
            ),
            "es": AreaText(
                name="Paneles BX",
                description=(
                    "Investigación de experiencia de marca y sus paneles: seguimientos de marca "
                    "multicategoría y programas de salud de marca, con embudos de marca, "
                    "análisis de correspondencias y las métricas de imagen que muestran cómo "
                    "percibe la gente su marca."
                ),
            ),
            "pt": AreaText(
                name="Painéis BX",
                description=(
                    "Estudos de experiência da marca e os respetivos painéis: rastreadores de "
                    "marca multicategoria e programas de saúde da marca, incluindo funis de "
                    "marca, análise de correspondências e as métricas de imagem que mostram como "
                    "as pessoas veem a sua marca."
                ),
            ),
            "nl": AreaText(
                name="BX-dashboards",
                description=(
                    "Merkonderzoek en de bijbehorende dashboards: merktrackers over meerdere "
                    "categorieën en programma's voor merkgezondheid, met merkfunnels, "
                    "correspondentieanalyse en de imagoscores die laten zien hoe mensen je merk "
                    "zien."
                ),
            ),
            "ja": AreaText(
                name="BX ダッシュボード",
                description=(
                    "ブランドエクスペリエンス調査とそのダッシュボードに関するサポートです。複数カ"
                    "テゴリーのブランドトラッカーやブランドヘルス調査、ブランドファネル、コレスポ"
                    "ンデンス分析、ブランドの見られ方を示すイメージ指標を扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="360",
        order=50,
        texts={
            "en": AreaText(
                name="360",
                description=(
                    "360 feedback projects for employee development: gathering ratings from "
                    "peers, direct reports and managers, managing the relationships between "
                    "subjects and evaluators, and producing each subject’s performance report."
                ),
            ),
            "it": AreaText(
                name="360",
                description=(
                    "Progetti di feedback 360 per lo sviluppo dei dipendenti: raccolta delle "
                    "valutazioni di colleghi, collaboratori diretti e responsabili, gestione "
                    "delle relazioni tra valutati e valutatori e creazione dei report sulle "
                    "prestazioni."
                ),
            ),
            "fr": AreaText(
                name="360",
                description=(
                    "Projets de feedback 360 pour le développement des collaborateurs : "
                    "collecte des évaluations des pairs, des collaborateurs directs et des "
                    "managers, gestion des liens entre personnes évaluées et évaluateurs, et "
                    "rapports de performance individuels."
                ),
            ),
            "de": AreaText(
                name="360",
                description=(
                    "360-Grad-Feedback zur Mitarbeiterentwicklung: Bewertungen von Kolleginnen "
                    "und Kollegen, Mitarbeitenden und Führungskräften einholen, die Beziehungen "
                    "zwischen bewerteten und bewertenden Personen verwalten und den "
                    "Leistungsbericht jeder bewerteten Person erstellen."
                ),
            ),
            "es": AreaText(
                name="360",
                description=(
                    "Proyectos de feedback 360 para el desarrollo de los empleados: recoger "
                    "valoraciones de compañeros, colaboradores directos y responsables, "
                    "gestionar las relaciones entre evaluados y evaluadores, y generar el "
                    "informe de desempeño de cada evaluado."
                ),
            ),
            "pt": AreaText(
                name="360",
                description=(
                    "Projetos de feedback 360 para o desenvolvimento dos colaboradores: recolher "
                    "avaliações de colegas, subordinados diretos e chefias, gerir as relações "
                    "entre avaliados e avaliadores e produzir o relatório de desempenho de cada "
                    "avaliado."
                ),
            ),
            "nl": AreaText(
                name="360",
                description=(
                    "360-gradenfeedback voor de ontwikkeling van medewerkers: beoordelingen "
                    "verzamelen van collega's, directe medewerkers en leidinggevenden, de "
                    "relaties tussen beoordeelden en beoordelaars beheren en het "
                    "prestatierapport van elke beoordeelde maken."
                ),
            ),
            "ja": AreaText(
                name="360",
                description=(
                    "従業員育成のための 360 度フィードバックに関するサポートです。同僚、部下、上"
                    "司からの評価の収集、評価対象者と評価者の関係の管理、対象者ごとのパフォーマン"
                    "スレポートの作成を扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="website-app-insights",
        order=60,
        texts={
            "en": AreaText(
                name="Website & App Insights",
                description=(
                    "Collecting feedback on your website or mobile app: intercepts and "
                    "creatives, the mobile app SDK, session capture and digital experience "
                    "analytics. If the site is internal, our team may need a test account to "
                    "help fully."
                ),
            ),
            "it": AreaText(
                name="Insight su siti web e app",
                description=(
                    "Raccolta di feedback sul vostro sito web o sulla vostra app: intercept e "
                    "creative, SDK per app mobili, acquisizione delle sessioni e analisi "
                    "dell’esperienza digitale. Se il sito è interno, il nostro team potrebbe "
                    "aver bisogno di un account di prova."
                ),
            ),
            "fr": AreaText(
                name="Insights sites web et applications",
                description=(
                    "Recueil d’avis sur votre site web ou votre application : intercepts et "
                    "créations, SDK pour applications mobiles, capture de sessions et analyse "
                    "de l’expérience numérique. Si le site est interne, notre équipe aura "
                    "peut-être besoin d’un compte de test."
                ),
            ),
            "de": AreaText(
                name="Website & App Insights",
                description=(
                    "Feedback auf Ihrer Website oder in Ihrer mobilen App sammeln: Intercepts "
                    "und Creatives, das SDK für mobile Apps, Sitzungsaufzeichnung und Analysen "
                    "der digitalen Erfahrung. Ist die Website intern, braucht unser Team unter "
                    "Umständen ein Testkonto, um umfassend zu helfen."
                ),
            ),
            "es": AreaText(
                name="Website & App Insights",
                description=(
                    "Recoger opiniones en su sitio web o su aplicación móvil: intercepts y "
                    "creatividades, el SDK para aplicaciones móviles, la captura de sesiones y "
                    "la analítica de experiencia digital. Si el sitio es interno, es posible que "
                    "nuestro equipo necesite una cuenta de prueba para ayudarle por completo."
                ),
            ),
            "pt": AreaText(
                name="Website & App Insights",
                description=(
                    "Recolher feedback no seu site ou na sua aplicação móvel: intercepts e "
                    "criativos, o SDK para aplicações móveis, a captura de sessões e a análise "
                    "da experiência digital. Se o site for interno, a nossa equipa poderá "
                    "precisar de uma conta de teste para ajudar por completo."
                ),
            ),
            "nl": AreaText(
                name="Website & App Insights",
                description=(
                    "Feedback verzamelen op je website of in je mobiele app: intercepts en "
                    "creatives, de SDK voor mobiele apps, sessie-opname en analyse van de "
                    "digitale ervaring. Is de site intern, dan heeft ons team mogelijk een "
                    "testaccount nodig om volledig te kunnen helpen."
                ),
            ),
            "ja": AreaText(
                name="Website & App Insights",
                description=(
                    "ウェブサイトやモバイルアプリでのフィードバック収集に関するサポートです。イン"
                    "ターセプトとクリエイティブ、モバイルアプリ SDK、セッションキャプチャ、デジタ"
                    "ルエクスペリエンス分析を扱います。社内向けサイトの場合、十分にお手伝いするた"
                    "めにテスト用アカウントが必要になることがあります。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="stats-iq-crosstabs",
        order=70,
        texts={
            "en": AreaText(
                name="Stats iQ & Crosstabs",
                description=(
                    "Statistical analysis with Stats iQ, in single projects and in dashboards, "
                    "plus crosstabs, conjoint and MaxDiff studies: choosing the right test, "
                    "setting up the analysis and reading the results."
                ),
            ),
            "it": AreaText(
                name="Stats iQ e tabelle incrociate",
                description=(
                    "Analisi statistica con Stats iQ, nei singoli progetti e nelle dashboard, "
                    "oltre a tabelle incrociate, studi conjoint e MaxDiff: scelta del test più "
                    "adatto, impostazione dell’analisi e interpretazione dei risultati."
                ),
            ),
            "fr": AreaText(
                name="Stats iQ et tableaux croisés",
                description=(
                    "Analyse statistique avec Stats iQ, dans les projets comme dans les "
                    "tableaux de bord, ainsi que tableaux croisés, analyses conjointes et "
                    "MaxDiff : choix du test adapté, paramétrage de l’analyse et lecture des "
                    "résultats."
                ),
            ),
            "de": AreaText(
                name="Stats iQ & Kreuztabellen",
                description=(
                    "Statistische Auswertung mit Stats iQ in einzelnen Projekten und in "
                    "Dashboards sowie Kreuztabellen, Conjoint- und MaxDiff-Studien: den "
                    "passenden Test wählen, die Analyse einrichten und die Ergebnisse lesen."
                ),
            ),
            "es": AreaText(
                name="Stats iQ y tablas cruzadas",
                description=(
                    "Análisis estadístico con Stats iQ, en proyectos concretos y en paneles, "
                    "además de tablas cruzadas y estudios conjoint y MaxDiff: elegir la prueba "
                    "adecuada, configurar el análisis e interpretar los resultados."
                ),
            ),
            "pt": AreaText(
                name="Stats iQ e tabulações cruzadas",
                description=(
                    "Análise estatística com Stats iQ, em projetos individuais e em painéis, bem "
                    "como tabulações cruzadas e estudos conjoint e MaxDiff: escolher o teste "
                    "certo, configurar a análise e interpretar os resultados."
                ),
            ),
            "nl": AreaText(
                name="Stats iQ & kruistabellen",
                description=(
                    "Statistische analyse met Stats iQ, in afzonderlijke projecten en in "
                    "dashboards, plus kruistabellen, conjoint- en MaxDiff-onderzoek: de juiste "
                    "toets kiezen, de analyse instellen en de resultaten lezen."
                ),
            ),
            "ja": AreaText(
                name="Stats iQ とクロス集計",
                description=(
                    "個別プロジェクトやダッシュボードでの Stats iQ による統計分析、クロス集計、コ"
                    "ンジョイント分析、MaxDiff 調査に関するサポートです。適切な検定の選択、分析の"
                    "設定、結果の読み方を扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="integrations-api",
        order=80,
        texts={
            "en": AreaText(
                name="Integrations / API",
                description=(
                    "Connecting the platform to your other systems: its API and API "
                    "tokens, and integrations with software such as Salesforce, Google or "
                    "Marketo, including data that does not sync as expected."
                ),
            ),
            "it": AreaText(
                name="Integrazioni / API",
                description=(
                    "Collegamento della piattaforma agli altri vostri sistemi: la sua API "
                    "e i relativi token, e le integrazioni con software come Salesforce, Google "
                    "o Marketo, compresi i dati che non si sincronizzano come previsto."
                ),
            ),
            "fr": AreaText(
                name="Intégrations / API",
                description=(
                    "Connexion de la plateforme à vos autres systèmes : son API et ses "
                    "jetons, et les intégrations avec des logiciels comme Salesforce, Google ou "
                    "Marketo, y compris les données qui ne se synchronisent pas comme prévu."
                ),
            ),
            "de": AreaText(
                name="Integrationen / API",
                description=(
                    "Die Plattform mit Ihren anderen Systemen verbinden: die API und API-Tokens "
                    "sowie Integrationen mit Software wie Salesforce, Google oder Marketo, auch "
                    "wenn Daten nicht wie erwartet synchronisiert werden."
                ),
            ),
            "es": AreaText(
                name="Integraciones / API",
                description=(
                    "Conectar la plataforma con sus otros sistemas: su API y los tokens de API, "
                    "y las integraciones con programas como Salesforce, Google o Marketo, "
                    "incluidos los datos que no se sincronizan como se esperaba."
                ),
            ),
            "pt": AreaText(
                name="Integrações / API",
                description=(
                    "Ligar a plataforma aos seus outros sistemas: a API e os tokens de API, e as "
                    "integrações com software como Salesforce, Google ou Marketo, incluindo "
                    "dados que não sincronizam como esperado."
                ),
            ),
            "nl": AreaText(
                name="Integraties / API",
                description=(
                    "Het platform koppelen aan je andere systemen: de API en API-tokens, en "
                    "integraties met software zoals Salesforce, Google of Marketo, ook wanneer "
                    "gegevens niet synchroniseren zoals verwacht."
                ),
            ),
            "ja": AreaText(
                name="連携 / API",
                description=(
                    "プラットフォームと他のシステムとの接続に関するサポートです。API と API トー"
                    "クン、Salesforce、Google、Marketo などのソフトウェアとの連携、期待どおりに同"
                    "期されないデータを扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="sso",
        order=90,
        texts={
            "en": AreaText(
                name="SSO setup and settings",
                description=(
                    "Single sign-on, where your users log in to the platform through your "
                    "organisation’s own login portal (such as Google or Okta): setting up the "
                    "connection, mapping user attributes and fixing sign-ins that fail."
                ),
            ),
            "it": AreaText(
                name="Configurazione e impostazioni SSO",
                description=(
                    "Single sign-on, cioè l’accesso alla piattaforma tramite il portale di login "
                    "della vostra organizzazione (per esempio Google o Okta): configurazione "
                    "del collegamento, mappatura degli attributi utente e risoluzione degli "
                    "accessi non riusciti."
                ),
            ),
            "fr": AreaText(
                name="Configuration et paramètres SSO",
                description=(
                    "Authentification unique (SSO), qui permet de se connecter à la plateforme via "
                    "le portail de connexion de votre organisation (Google ou Okta, par "
                    "exemple) : mise en place, mappage des attributs utilisateur et connexions "
                    "qui échouent."
                ),
            ),
            "de": AreaText(
                name="SSO-Einrichtung und -Einstellungen",
                description=(
                    "Single Sign-on, bei dem sich Ihre Benutzer über das eigene Anmeldeportal "
                    "Ihrer Organisation (etwa Google oder Okta) bei der Plattform anmelden: die "
                    "Verbindung einrichten, Benutzerattribute zuordnen und fehlschlagende "
                    "Anmeldungen beheben."
                ),
            ),
            "es": AreaText(
                name="Configuración y ajustes de SSO",
                description=(
                    "Inicio de sesión único, con el que sus usuarios acceden a la plataforma a "
                    "través del portal de acceso de su propia organización (como Google u Okta): "
                    "configurar la conexión, asignar los atributos de usuario y resolver los "
                    "inicios de sesión que fallan."
                ),
            ),
            "pt": AreaText(
                name="Configuração e definições de SSO",
                description=(
                    "Início de sessão único, em que os seus utilizadores entram na plataforma "
                    "através do portal de autenticação da sua organização (como Google ou Okta): "
                    "configurar a ligação, mapear os atributos dos utilizadores e resolver "
                    "inícios de sessão que falham."
                ),
            ),
            "nl": AreaText(
                name="SSO instellen en beheren",
                description=(
                    "Single sign-on, waarbij je gebruikers via het eigen inlogportaal van je "
                    "organisatie (zoals Google of Okta) op het platform inloggen: de verbinding "
                    "instellen, gebruikerskenmerken koppelen en mislukte aanmeldingen oplossen."
                ),
            ),
            "ja": AreaText(
                name="SSO の設定",
                description=(
                    "組織独自のログインポータル（Google や Okta など）を通じてユーザーがプラット"
                    "フォームにログインするシングルサインオンに関するサポートです。接続の設定、ユ"
                    "ーザー属性のマッピング、失敗するサインインの解決を扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=True,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="accessibility",
        order=100,
        texts={
            "en": AreaText(
                name="Accessibility",
                description=(
                    "Making your surveys accessible: meeting the WCAG guidelines and working "
                    "with assistive technologies such as screen readers, including colour "
                    "contrast, keyboard navigation and question types that suit every "
                    "respondent."
                ),
            ),
            "it": AreaText(
                name="Accessibilità",
                description=(
                    "Rendere accessibili i vostri sondaggi: conformità alle linee guida WCAG e "
                    "compatibilità con le tecnologie assistive come i lettori di schermo, "
                    "compresi contrasto dei colori, navigazione da tastiera e tipi di domanda "
                    "adatti a tutti."
                ),
            ),
            "fr": AreaText(
                name="Accessibilité",
                description=(
                    "Rendre vos enquêtes accessibles : respect des directives WCAG et "
                    "compatibilité avec les technologies d’assistance comme les lecteurs "
                    "d’écran, notamment le contraste des couleurs, la navigation au clavier et "
                    "des types de questions adaptés à tous."
                ),
            ),
            "de": AreaText(
                name="Barrierefreiheit",
                description=(
                    "Umfragen barrierefrei gestalten: die WCAG-Richtlinien erfüllen und mit "
                    "assistiven Technologien wie Screenreadern arbeiten, einschließlich "
                    "Farbkontrast, Tastaturbedienung und Fragetypen, die für alle Befragten "
                    "geeignet sind."
                ),
            ),
            "es": AreaText(
                name="Accesibilidad",
                description=(
                    "Hacer accesibles sus encuestas: cumplir las pautas WCAG y funcionar con "
                    "tecnologías de apoyo como los lectores de pantalla, incluidos el contraste "
                    "de color, la navegación con teclado y los tipos de pregunta adecuados para "
                    "todos los encuestados."
                ),
            ),
            "pt": AreaText(
                name="Acessibilidade",
                description=(
                    "Tornar os seus inquéritos acessíveis: cumprir as diretrizes WCAG e "
                    "funcionar com tecnologias de apoio como os leitores de ecrã, incluindo o "
                    "contraste de cores, a navegação por teclado e os tipos de pergunta "
                    "adequados a todos os inquiridos."
                ),
            ),
            "nl": AreaText(
                name="Toegankelijkheid",
                description=(
                    "Je enquêtes toegankelijk maken: voldoen aan de WCAG-richtlijnen en werken "
                    "met hulptechnologie zoals schermlezers, inclusief kleurcontrast, bediening "
                    "met het toetsenbord en vraagtypen die voor elke respondent geschikt zijn."
                ),
            ),
            "ja": AreaText(
                name="アクセシビリティ",
                description=(
                    "アンケートのアクセシビリティに関するサポートです。WCAG ガイドラインへの準拠"
                    "、スクリーンリーダーなどの支援技術への対応、色のコントラスト、キーボード操作"
                    "、すべての回答者に適した質問タイプを扱います。"
                ),
            ),
        },
        redirects_to_discover=False,
        chat_languages=("en",),
        conference_call_eligible=False,
        enterprise_phone=False,
    ),
    AreaDefault(
        slug="xm-discover",
        order=110,
        texts={
            "en": AreaText(
                name="XM Discover",
                description=(
                    "Conversational analytics with XM Discover, including Studio, Connectors "
                    "and Designer. Discover has its own support team, reached from inside the "
                    "Discover product; this area shows you how to contact them, and no ticket "
                    "is created here."
                ),
            ),
            "it": AreaText(
                name="XM Discover",
                description=(
                    "Analisi conversazionale con XM Discover, compresi Studio, Connectors e "
                    "Designer. Discover ha un proprio team di assistenza, da contattare "
                    "dall’interno del prodotto Discover: qui vedrete come raggiungerlo, senza "
                    "aprire alcun ticket."
                ),
            ),
            "fr": AreaText(
                name="XM Discover",
                description=(
                    "Analyse conversationnelle avec XM Discover, notamment Studio, Connectors "
                    "et Designer. Discover dispose de sa propre équipe d’assistance, à joindre "
                    "depuis le produit Discover : vous verrez ici comment la contacter, sans "
                    "créer de ticket."
                ),
            ),
            "de": AreaText(
                name="XM Discover",
                description=(
                    "Conversational Analytics mit XM Discover, einschließlich Studio, Connectors "
                    "und Designer. Discover hat ein eigenes Supportteam, das Sie direkt im "
                    "Produkt Discover erreichen; hier erfahren Sie, wie Sie es kontaktieren, ein "
                    "Ticket wird hier nicht erstellt."
                ),
            ),
            "es": AreaText(
                name="XM Discover",
                description=(
                    "Analítica conversacional con XM Discover, incluidos Studio, Connectors y "
                    "Designer. Discover tiene su propio equipo de soporte, al que se accede "
                    "desde el propio producto Discover; aquí verá cómo contactar con él, sin "
                    "crear ningún ticket."
                ),
            ),
            "pt": AreaText(
                name="XM Discover",
                description=(
                    "Análise conversacional com o XM Discover, incluindo Studio, Connectors e "
                    "Designer. O Discover tem a sua própria equipa de suporte, contactada a "
                    "partir do próprio produto Discover; aqui verá como a contactar, sem criar "
                    "nenhum ticket."
                ),
            ),
            "nl": AreaText(
                name="XM Discover",
                description=(
                    "Conversational analytics met XM Discover, waaronder Studio, Connectors en "
                    "Designer. Discover heeft een eigen supportteam, dat je vanuit het product "
                    "Discover bereikt; hier zie je hoe je contact opneemt, er wordt hier geen "
                    "ticket aangemaakt."
                ),
            ),
            "ja": AreaText(
                name="XM Discover",
                description=(
                    "Studio、Connectors、Designer を含む XM Discover による会話分析です。Discover"
                    " には専用のサポートチームがあり、Discover 製品内から連絡します。ここでは連絡"
                    "方法をご案内します。この製品分野ではリクエストは作成されません。"
                ),
            ),
        },
        redirects_to_discover=True,
        chat_languages=(),
        conference_call_eligible=False,
        enterprise_phone=False,
    ),
)

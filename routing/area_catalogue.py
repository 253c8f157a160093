"""Default product areas of the Customer Success Hub (R-AREA).

Areas are data that operations can edit in the admin; this module only holds the
defaults used to seed them. Each area carries its name and a short description in
every interface language ("en", "it", "fr"), the picture is served from
``static/img/areas/<slug>.svg``, and the flags below feed the contact-method rules
(R-METHODS): chat languages, whether a scheduled conference call may be booked, and
whether Enterprise Support seat holders get the Enterprise phone line.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES: tuple[str, ...] = ("en", "it", "fr")
"""Languages every area must have a name and a description in."""


@dataclass(frozen=True)
class AreaText:
    name: str
    description: str


@dataclass(frozen=True)
class AreaDefault:
    slug: str
    order: int
    texts: dict[str, AreaText]  # keys "en", "it", "fr"
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
        },
        redirects_to_discover=True,
        chat_languages=(),
        conference_call_eligible=False,
        enterprise_phone=False,
    ),
)

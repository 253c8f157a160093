from __future__ import annotations

from django.urls import path

from chatbot import views

app_name = "support"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("assistant/", views.assistant, name="assistant"),
    path("assistant/panel/", views.assistant_panel, name="assistant_panel"),
    path("assistant/feedback/", views.assistant_feedback, name="assistant_feedback"),
    path("assistant/restart/", views.assistant_restart, name="assistant_restart"),
    path("assistant/figures/", views.assistant_figures, name="assistant_figures"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/helpful/", views.article_vote, name="article_vote"),
    # Last: an area's slug, or "hub" for the articles about the hub itself.
    path("<slug:slug>/", views.area, name="area"),
]

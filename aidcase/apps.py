from django.apps import AppConfig
from django.db.models import fields
from django.utils.translation import gettext_lazy

# The empty choice of a select (Django 6.1's "- Select an option -", which Django does not
# translate), as the app says it in both languages. Django asks apps to set it in ready(), but
# the admin's ready() runs first and builds forms; this module is imported before any ready().
fields.BLANK_CHOICE_LABEL = gettext_lazy("请选择")


class AidcaseConfig(AppConfig):
    name = "aidcase"
    verbose_name = "AidCase"

    def ready(self) -> None:
        from django.urls import register_converter

        from aidcase.params import IdConverter

        # Before any URL conf is read: every id in a path is `<id:pk>`, never `<int:pk>`.
        register_converter(IdConverter, "id")

from django.apps import AppConfig


class AidcaseConfig(AppConfig):
    name = "aidcase"
    verbose_name = "AidCase"

    def ready(self) -> None:
        from django.urls import register_converter

        from aidcase.params import IdConverter

        # Before any URL conf is read: every id in a path is `<id:pk>`, never `<int:pk>`.
        register_converter(IdConverter, "id")

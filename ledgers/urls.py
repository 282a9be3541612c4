from django.urls import path

from ledgers import views
from ledgers.ledgers import LEDGER_TITLES

urlpatterns = [path("ledgers/", views.ledger_home, name="ledger_home")]
# One route per ledger rather than a <kind> converter, as for the imports: an unknown ledger
# is a 404 before any view runs. Reverse with the kind: {% url 'ledger_export' kind='aid' %}.
for kind in LEDGER_TITLES:
    urlpatterns += [
        path(f"ledgers/{kind}/", views.ledger_export, {"kind": kind}, name="ledger_export"),
    ]

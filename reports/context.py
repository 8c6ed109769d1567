"""What every page may say about its data: whether the practice register is synthetic and
which demand drivers are estimated. Read from the data (``Practice.source``, the indicators'
status), lazily: a page that does not ask makes no query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from municipalities.models import Indicator
from municipalities.selectors import estimated_indicators
from practices.selectors import RegisterSources, register_sources


@dataclass(frozen=True)
class DataStatus:
    register: RegisterSources
    estimated: list[str]

    @property
    def estimated_labels(self) -> list[str]:
        labels = dict(Indicator.choices)
        return [str(labels.get(key, key)) for key in self.estimated]


def data_status() -> DataStatus:
    return DataStatus(register=register_sources(), estimated=estimated_indicators())


def data_status_context(request: HttpRequest) -> dict[str, Any]:
    return {"data_status": SimpleLazyObject(data_status)}

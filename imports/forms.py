"""The upload form: which kind of data, and the file."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from imports.models import ImportKind
from municipalities.tabular import MAX_FILE_BYTES


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        initial=ImportKind.DEMAND,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (separated by ; or ,, decimal comma or point, UTF-8 with or without BOM) or "
            "XLSX (the first sheet), at most 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            # Refused before it is read into memory.
            raise forms.ValidationError(
                _("The file is %(mb).1f MB; at most %(max)d MB are read."),
                params={"mb": upload.size / 1024 / 1024, "max": MAX_FILE_BYTES // 1024 // 1024},
            )
        return upload


class ConfirmForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    accept_warnings = forms.BooleanField(
        required=False,
        label=_("I have checked the warnings: the values are right."),
    )

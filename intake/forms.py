from __future__ import annotations

from django import forms

from people.models import Team


class CfpbUploadForm(forms.Form):
    file = forms.FileField(label="CFPB complaints export (CSV)")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="The import's default team")

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()

"""The audit form: generated from a template, saved as the auditor works.

- :class:`AuditFormView` edits one audit (``ctx``, ``audit_id``).
- :class:`TemplatePreview` shows a template read-only, as auditors will see it.
"""

from qadesk.ui.form.preview import TemplatePreview
from qadesk.ui.form.view import AuditFormView

__all__ = ["AuditFormView", "TemplatePreview"]

"""Files in and out: templates (JSON, Excel), packs, PDF and Excel reports. No Qt here."""

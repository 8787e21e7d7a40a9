"""The form's own look, set on the form widget so it holds with or without the application's style sheet.

Selectors use the ``role`` property the form's widgets carry (``question-label``,
``problem``, ``guidance``, ``grade`` ...), so the application's
``resources/style.qss`` can restyle the same things by the same names.
"""

FORM_QSS = """
QWidget[role="section"] { background: #ffffff; }
QScrollArea { background: #ffffff; }
QLabel[role="section-title"] { font-size: 15pt; font-weight: 600; color: #1d2b3a; padding-bottom: 6px; }
QLabel[role="form-title"] { font-size: 12pt; font-weight: 600; color: #1d2b3a; }
QLabel[role="question-label"] { font-weight: 600; color: #1d2b3a; }
QLabel[role="hint"], QLabel[role="evidence-label"] { color: #5b6673; }
QLabel[role="note"] { color: #33414f; background: #f3f6f9; border-left: 3px solid #8aa4c0; padding: 8px 10px; }
QLabel[role="problem"] { color: #9a3412; background: #fff4ec; border-left: 3px solid #c2571a; padding: 4px 8px; }
QLabel[role="changed-elsewhere"] { color: #5c4400; background: #fff6d6; border-left: 3px solid #c79a00;
    padding: 4px 8px; }
QLabel[role="suggestion"] { color: #1d2b3a; background: #f3f6f9; padding: 8px 10px; }
QFrame[role="question"][state="problem"] { border-left: 3px solid #c2571a; padding-left: 8px; }
QFrame[role="judgement"], QFrame[role="judgement-table"] {
    background: #f7f8fa; border: 1px solid #dde2e8; border-radius: 6px; }
QFrame[role="form-header"] { background: #ffffff; border-bottom: 1px solid #dde2e8; }
QFrame[role="missing"] { background: #fff8e6; border-bottom: 1px solid #ecd9a3; }
QLabel[role="missing-heading"] { font-weight: 600; color: #6b4a00; }
QFrame[role="moderation"] { background: #eef4fa; border-bottom: 1px solid #c9d9ea; }
QFrame[role="moderation"] QScrollArea, QFrame[role="moderation"] QScrollArea > QWidget > QWidget { background: transparent; }
QLabel[role="moderation-heading"] { font-weight: 600; color: #1d3b5a; }
QLabel[role="saved"] { color: #4a6b53; }
QLabel[role="saved"][state="error"] { color: #9a3412; font-weight: 600; }
QLabel[role="status-badge"] { color: #33414f; background: #e9edf2; border-radius: 9px; padding: 2px 10px; }
QLabel[role="status-badge"][status="completed"] { color: #1f5132; background: #e2f1e7; }
QWidget#form\\.navigator { background: #f4f6f8; }
QListWidget[role="navigator"] { background: #f4f6f8; border: none; outline: 0; }
QListWidget[role="navigator"]::item { padding: 4px 6px; border-radius: 4px; color: #1d2b3a; }
QListWidget[role="navigator"]::item:selected { background: #dbe6f3; color: #10233a; }
QProgressBar { background: #e1e6ec; border: none; border-radius: 3px; min-height: 6px; max-height: 6px; }
QProgressBar::chunk { background: #2e7d4f; border-radius: 3px; }
QScrollArea[role="guidance"], QWidget[role="guidance"] { background: #f7f8f3; }
QLabel[role="guidance-heading"] { color: #5b6673; font-size: 8.5pt; font-weight: 600;
    text-transform: uppercase; letter-spacing: 1px; }
QLabel[role="guidance-title"] { font-weight: 600; color: #1d2b3a; padding-top: 6px; }
QLabel[role="guidance-text"] { color: #33414f; }
QFrame[role="guidance-rule"] { color: #dcdfd2; }
QPushButton[role="grade"] { padding: 6px 12px; border: 1px solid #b8c1cb; background: #ffffff; color: #1d2b3a;
    margin-right: -1px; }
QPushButton[role="grade"][position="first"] { border-top-left-radius: 5px; border-bottom-left-radius: 5px; }
QPushButton[role="grade"][position="last"] { border-top-right-radius: 5px; border-bottom-right-radius: 5px;
    margin-right: 0; }
QPushButton[role="grade"][stacked="true"] { border-radius: 5px; margin-right: 0; }
QPushButton[role="grade"]:hover { background: #eef3f8; }
QPushButton[role="grade"]:focus { border: 2px solid #2f6fb3; }
QPushButton[role="grade"]:checked { background: #23497a; color: #ffffff; border-color: #23497a; }
QPushButton[role="grade"]:checked:disabled { background: #6f86a3; color: #ffffff; }
QPushButton[role="grade"]:disabled { color: #7b8590; }
QPushButton[role="link"] { border: none; background: transparent; color: #1d5fa8; text-decoration: underline;
    text-align: left; padding: 2px 4px; margin-left: -4px; }
QPushButton[role="link"]:hover { color: #10233a; }
QPushButton[role="link"]:focus { background: #dbe6f3; color: #10233a; border-radius: 3px; }
QPushButton[role="primary"] { background: #23497a; color: #ffffff; border: 1px solid #1b3a61;
    border-radius: 4px; padding: 6px 16px; font-weight: 600; }
QPushButton[role="primary"]:hover { background: #2c5a94; }
"""

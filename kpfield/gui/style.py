"""One calm style sheet: readable type, clear states, a warning colour for sensitive parts."""

from __future__ import annotations

STYLE = """
QWidget { font-size: 10.5pt; }
QLabel#heading { font-size: 16pt; font-weight: 600; margin-bottom: 8px; }
QLabel#editorHeading { font-size: 12pt; font-weight: 600; }
QLabel#savedIndicator { color: #2e6b30; padding: 0 8px; }
QLabel#savedIndicator[state="dirty"], QLabel#savedIndicator[state="saving"] { color: #7a5d00; }
QLabel#savedIndicator[state="failed"],
QLabel#savedIndicator[state="unstorable"] { color: #a32020; font-weight: 600; }
QLabel#sealedBanner { background: #e8f0fb; color: #1d3557; padding: 6px; }
QLabel#errorLabel, QLabel#unlockMessage { color: #a32020; }
QLabel#unlockPolicy { color: #555555; }
QGroupBox#identifyingBox { border: 2px solid #c0392b; border-radius: 4px; margin-top: 14px; }
QGroupBox#identifyingBox::title { color: #c0392b; subcontrol-origin: margin; left: 8px; }
QLabel#identifyingWarning { color: #7b241c; }
QLabel#memoryWarning { color: #7b241c; background: #fdf2e9; border: 1px solid #e0b090;
    border-radius: 4px; padding: 8px; margin-bottom: 6px; }
QLabel#statusLocked { color: #a32020; font-weight: 600; }
QLabel#statusUnlocked { color: #2e6b30; font-weight: 600; }
"""

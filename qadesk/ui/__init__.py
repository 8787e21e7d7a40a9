"""The PySide6 window. Only this package imports Qt.

The store and the services the first screen needs are imported here, before
any module of this package imports PySide6.  Once PySide6 is loaded it wraps
``__import__`` and reads the source of every module imported after it (its
``__feature__`` check), which makes SQLAlchemy's couple of hundred modules
import markedly slower; importing them first takes about a third off the
window's start-up (docs/benchmarks.md, "Start-up").
"""

import gc

# The cyclic garbage collector is paused while these modules are imported: they
# allocate hundreds of thousands of objects that all stay alive, so every
# collection it would run meanwhile is wasted work (about 10% of the import time).
_collecting = gc.isenabled()
gc.disable()
try:
    import sqlalchemy.dialects.sqlite  # noqa: F401 - loaded by create_engine; see above

    import qadesk.services.changes  # noqa: F401 - what each commit changed (the window's change hub)
    import qadesk.services.overview  # noqa: F401 - the Home screen's queries (store, models, services)
    import qadesk.services.profile  # noqa: F401
finally:
    if _collecting:
        gc.enable()

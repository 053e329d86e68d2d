"""The freqtrade glue: the strategy mixin's callbacks (``strategy``), its policy and live
controller (``live``), the entry gate (``gate``) and THE one version-guarded module that reaches
into freqtrade's internals (``internals``). Imports freqtrade; nothing else in the package does
at import time."""

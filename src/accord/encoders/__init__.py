"""Text encoders shared by capability runners: :mod:`.e5` (multilingual-e5-small on ONNX Runtime:
phrase matching, knowledge lookup) and :mod:`.use` (USE multilingual v3: case classification,
knowledge lookup, phrase matching's measured comparison).

Why a package of its own: two capabilities run the same model and must not import each other,
and ``core`` loads no model (only a capability's runner does: docs/architecture.md). So the
engine sits here, between the two: it imports no capability, no web, no command line
(``.importlinter``), and only runner modules may import it (``tests/test_model_imports.py``).
Each model is loaded once per process, whichever capability asks first.
"""

"""Node types that exist only in tests: counters, gates and scripted failures.

Installed through ``LEDGERLINE_EXTRA_APPS=tests.support.nodes_app`` so that
separate worker processes started by tests know them too.
"""

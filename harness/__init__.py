"""The compat-suite harness: builds each case's plugins with tau's own plugin
compiler, runs them under tau with a time limit, checks the shared-loop rule,
records per case and per API, and renders reports/compat.json and index.html.

Modules: config (what the suite tells the harness: where things are), manifest
(what a case is), build, certs, run (one case: processes, stop policy, thread
watch), results, report."""

"""The exact route table: every route's path, methods and access rule, as a literal.

A new, removed or changed route, or a change to who may call it, fails here with the difference
spelled out. Update the table in the same commit as the route, after checking that the new
access is what was meant; the table is written out by hand on purpose, not computed from the app.

Access is what the route's ``require_roles`` dependencies (router-level and route-level) admit:
``"public"``, ``"signed-in"`` (any authenticated user) or a set of roles. Checks inside handlers
(case ownership, job ownership) are not part of it; tests/web/test_role_matrix.py calls every
route as every role.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.route_access import PUBLIC, SIGNED_IN, Access, walk_routes

CASE_STAFF = {"officer", "supervisor"}
INTERPRETING = {"interpreter", "officer", "supervisor"}
INTERPRETER_DESK = {"admin", "interpreter", "officer", "supervisor"}
OVERSIGHT = {"admin", "auditor", "dpo", "supervisor"}
FORECAST_VIEW = {"analyst", "supervisor"}
KNOWLEDGE = {"admin", "interpreter", "legal", "officer", "supervisor"}
DISPATCHERS = {"officer", "supervisor"}

#: (path, methods separated by spaces, access), in the order the app matches them.
ROUTES: list[tuple[str, str, str | set[str]]] = [
    ('/static/{path:path}', 'GET HEAD', PUBLIC),
    ('/healthz', 'GET', PUBLIC),
    ('/readyz', 'GET', PUBLIC),
    ('/login', 'GET', PUBLIC),
    ('/login', 'POST', PUBLIC),
    ('/logout', 'POST', SIGNED_IN),
    ('/language', 'GET', PUBLIC),
    ('/', 'GET', SIGNED_IN),
    ('/account', 'GET', SIGNED_IN),
    ('/account/language', 'POST', SIGNED_IN),
    ('/account/tokens', 'POST', SIGNED_IN),
    ('/account/tokens/{token_id}/revoke', 'POST', SIGNED_IN),
    ('/jobs/{job_id}', 'GET', SIGNED_IN),
    ('/admin/users', 'GET', {'admin'}),
    ('/admin/users', 'POST', {'admin'}),
    ('/admin/users/{user_id}', 'POST', {'admin'}),
    ('/admin/users/{user_id}/unlock', 'POST', {'admin'}),
    ('/admin/users-export', 'POST', {'admin'}),
    ('/admin/users-export/{job_id}.csv', 'GET', {'admin'}),
    ('/openapi.json', 'GET', SIGNED_IN),
    ('/docs', 'GET', SIGNED_IN),
    ('/api/v1/me', 'GET', SIGNED_IN),
    ('/api/v1/jobs/{job_id}', 'GET', SIGNED_IN),
    ('/api/v1/users', 'GET', {'admin'}),
    ('/api/v1/users', 'POST', {'admin'}),
    ('/governance/capabilities', 'GET', SIGNED_IN),
    ('/governance/capabilities/{capability_id}/suspension', 'POST', {'admin', 'supervisor'}),
    ('/governance/policies', 'GET', OVERSIGHT),
    ('/governance/policies/what-if', 'POST', OVERSIGHT),
    ('/reviews/monitor', 'GET', OVERSIGHT),
    ('/reviews', 'GET', {'supervisor'}),
    ('/reviews/{review_id}', 'POST', {'supervisor'}),
    ('/interpret/langid', 'GET', INTERPRETING),
    ('/interpret/langid', 'POST', INTERPRETING),
    ('/api/v1/gateway/{capability_id}', 'POST', SIGNED_IN),
    ('/interpret/translate', 'GET', INTERPRETING),
    ('/interpret/translate', 'POST', INTERPRETING),
    ('/interpret/pairs', 'GET', INTERPRETING),
    ('/interpret/phrases', 'GET', INTERPRETING),
    ('/interpret/phrases/confirm', 'POST', INTERPRETING),
    ('/interpret/phrases/match', 'POST', INTERPRETING),
    ('/interpret/speech', 'GET', INTERPRETING),
    ('/interpret/speech/audio', 'POST', INTERPRETING),
    ('/interpret/speech/confirm', 'POST', INTERPRETING),
    ('/interpret/speech/speak', 'POST', INTERPRETING),
    ('/transparency.json', 'GET', PUBLIC),
    ('/transparency', 'GET', PUBLIC),
    ('/ledger/checkpoint', 'GET', PUBLIC),
    ('/ledger/public-key', 'GET', PUBLIC),
    ('/ledger', 'GET', OVERSIGHT),
    ('/ledger/witness', 'POST', {'dpo'}),
    ('/ledger/entries/{seq}', 'GET', OVERSIGHT),
    ('/ledger/entries/{seq}/proof', 'GET', OVERSIGHT),
    ('/public/report', 'GET', PUBLIC),
    ('/public/report/received/{reference}', 'GET', PUBLIC),
    ('/public/report/{form_id}', 'GET', PUBLIC),
    ('/public/report/{form_id}', 'POST', PUBLIC),
    ('/public/notices', 'GET', PUBLIC),
    ('/public/notices/{notice_id}.pdf', 'GET', PUBLIC),
    ('/public/notices/{notice_id}', 'GET', PUBLIC),
    ('/public/notices/{notice_id}/audio', 'GET', PUBLIC),
    ('/interviews', 'GET', INTERPRETING),
    ('/interviews/detect-language', 'POST', INTERPRETING),
    ('/interviews/reports', 'GET', INTERPRETING),
    ('/interviews/reports/{reference}', 'GET', INTERPRETING),
    ('/interviews/{form_id}', 'GET', INTERPRETING),
    ('/interviews/{form_id}', 'POST', INTERPRETING),
    ('/interpreters/new', 'GET', {'admin', 'supervisor'}),
    ('/interpreters', 'POST', {'admin', 'supervisor'}),
    ('/interpreters/{interpreter_id:int}/edit', 'GET', {'admin', 'supervisor'}),
    ('/interpreters/{interpreter_id:int}', 'POST', {'admin', 'supervisor'}),
    ('/interpreters/{interpreter_id:int}/active', 'POST', {'admin', 'supervisor'}),
    ('/interpreters', 'GET', INTERPRETER_DESK),
    ('/interpreters/requests', 'GET', INTERPRETER_DESK),
    ('/interpreters/requests/new', 'GET', INTERPRETER_DESK),
    ('/interpreters/requests', 'POST', INTERPRETER_DESK),
    ('/interpreters/requests/{reference}', 'GET', INTERPRETER_DESK),
    ('/interpreters/requests/{reference}/{action}', 'POST', INTERPRETER_DESK),
    ('/interpret/content-review', 'GET', {'admin', 'interpreter'}),
    ('/interpret/content-review/{kind}/{content_id}/{lang}', 'GET', {'admin', 'interpreter'}),
    ('/interpret/content-review/{kind}/{content_id}/{lang}', 'POST', {'admin', 'interpreter'}),
    ('/rights', 'GET', PUBLIC),
    ('/rights', 'POST', PUBLIC),
    ('/rights/status', 'GET', PUBLIC),
    ('/rights/status/{reference}', 'GET', PUBLIC),
    ('/rights/status/{reference}/verify', 'POST', PUBLIC),
    ('/rights/status/{reference}/resend', 'POST', PUBLIC),
    ('/rights/status/{reference}/download-code', 'POST', PUBLIC),
    ('/rights/status/{reference}/download', 'POST', PUBLIC),
    ('/rights/status/{reference}/report', 'GET', PUBLIC),
    ('/rights/status/{reference}/report.json', 'GET', PUBLIC),
    ('/rights/status/{reference}/report.pdf', 'GET', PUBLIC),
    ('/dpo/assessments', 'GET', {'admin', 'dpo'}),
    ('/dpo/dashboard', 'GET', {'admin', 'dpo'}),
    ('/dpo/dashboard/verification', 'GET', {'admin', 'dpo'}),
    ('/counter/rights', 'GET', {'dpo', 'officer'}),
    ('/counter/rights', 'POST', {'dpo', 'officer'}),
    ('/dpo/audit', 'GET', {'auditor', 'dpo'}),
    ('/dpo/audit-export', 'GET', {'auditor', 'dpo'}),
    ('/dpo/subjects', 'GET', {'dpo'}),
    ('/dpo/subjects', 'POST', {'dpo'}),
    ('/dpo', 'GET', {'dpo'}),
    ('/dpo/requests/{reference}', 'GET', {'dpo'}),
    ('/dpo/requests/{reference}', 'POST', {'dpo'}),
    ('/dpo/breaches', 'GET', {'dpo'}),
    ('/dpo/breaches', 'POST', {'dpo'}),
    ('/dpo/breaches/{breach_id}/notified', 'POST', {'dpo'}),
    ('/dpo/breaches/{breach_id}/close', 'POST', {'dpo'}),
    ('/dpo/assessments', 'POST', {'dpo'}),
    ('/dpo/assessments/{assessment_id}/revoke', 'POST', {'dpo'}),
    ('/dpo/ledger-verify', 'POST', {'dpo'}),
    ('/forecast', 'GET', FORECAST_VIEW),
    ('/forecast/import', 'POST', {'analyst'}),
    ('/forecast/backtest', 'POST', {'analyst'}),
    ('/forecast/backtest/{job_id}', 'GET', FORECAST_VIEW),
    ('/forecast/backtest/{job_id}/status', 'GET', FORECAST_VIEW),
    ('/forecast/backtest/{job_id}/results.csv', 'GET', FORECAST_VIEW),
    ('/forecast/map', 'GET', FORECAST_VIEW),
    ('/forecast/decisions/{decision_id}/cells.geojson', 'GET', FORECAST_VIEW),
    ('/forecast/decisions/{decision_id}/cells.csv', 'GET', FORECAST_VIEW),
    ('/forecast/decisions/{decision_id}/explain', 'GET', FORECAST_VIEW),
    ('/forecast/districts.geojson', 'GET', FORECAST_VIEW),
    ('/forecast/fairness', 'GET', FORECAST_VIEW),
    ('/forecast/fairness', 'POST', FORECAST_VIEW),
    ('/forecast/staffing', 'GET', FORECAST_VIEW),
    ('/forecast/map/run', 'POST', SIGNED_IN),
    ('/cases', 'GET', CASE_STAFF),
    ('/cases/new', 'GET', CASE_STAFF),
    ('/cases/new', 'POST', CASE_STAFF),
    ('/cases/from-report/{reference}', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/status', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/persons', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/persons/{person_id:int}/documents', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/events', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/statements', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/statements/{statement_id:int}/review', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/evidence', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/file.pdf', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/evidence/{item_id:int}/file', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/evidence/{item_id:int}/custody', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/tasks', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/tasks/{task_id:int}/done', 'POST', CASE_STAFF),
    ('/cases/{ref}/report', 'GET', CASE_STAFF),
    ('/cases/{ref}/report/draft', 'POST', CASE_STAFF),
    ('/cases/{ref}/report/edit', 'POST', CASE_STAFF),
    ('/cases/{ref}/report/submit', 'POST', CASE_STAFF),
    ('/cases/{ref}/report/versions', 'GET', CASE_STAFF),
    ('/cases/{ref}/report.pdf', 'GET', CASE_STAFF),
    ('/cases/board', 'GET', CASE_STAFF),
    ('/cases/map', 'GET', {'supervisor'}),
    ('/cases/board.csv', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/notices', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/notices', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/consular-letter', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/consular-letter/{letter_id:int}.pdf', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/consular-letter/{letter_id:int}/sent', 'POST', CASE_STAFF),
    ('/legal/facts', 'GET', {'admin', 'legal'}),
    ('/legal/facts', 'POST', {'admin', 'legal'}),
    ('/cases/suggest-type', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/hints', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/statements/{statement_id}/entities', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/statements/{statement_id}/entities', 'POST', CASE_STAFF),
    ('/cases/{ref:caseref}/passport', 'GET', CASE_STAFF),
    ('/cases/{ref:caseref}/passport', 'POST', CASE_STAFF),
    ('/training', 'GET', SIGNED_IN),
    ('/training/certificates', 'GET', SIGNED_IN),
    ('/training/courses/{course_id}', 'GET', SIGNED_IN),
    ('/training/courses/{course_id}/lessons/{lesson_id}', 'GET', SIGNED_IN),
    ('/training/courses/{course_id}/lessons/{lesson_id}', 'POST', SIGNED_IN),
    ('/training/districts', 'GET', SIGNED_IN),
    ('/training/districts/{district}', 'GET', SIGNED_IN),
    ('/training/drills', 'GET', SIGNED_IN),
    ('/training/drills/{drill_id}/runs', 'POST', SIGNED_IN),
    ('/training/drills/runs/{run_id}', 'GET', SIGNED_IN),
    ('/training/drills/runs/{run_id}/items/{drill_item}/before', 'POST', SIGNED_IN),
    ('/training/drills/runs/{run_id}/items/{drill_item}/after', 'POST', SIGNED_IN),
    ('/training/scenarios/{scenario_id}', 'GET', SIGNED_IN),
    ('/training/scenarios/{scenario_id}', 'POST', SIGNED_IN),
    ('/training/trainer', 'GET', {'admin', 'supervisor'}),
    ('/vision', 'GET', {'auditor', 'dpo', 'officer', 'supervisor'}),
    ('/vision/redact', 'POST', CASE_STAFF),
    ('/vision/identify', 'POST', SIGNED_IN),
    ('/vision/items/{item_id}', 'GET', {'auditor', 'dpo', 'officer', 'supervisor'}),
    ('/vision/items/{item_id}/boxes', 'POST', {'supervisor'}),
    ('/vision/items/{item_id}/decision', 'POST', {'supervisor'}),
    ('/api/v1/vision/redact', 'POST', CASE_STAFF),
    ('/api/v1/vision/items/{item_id}', 'GET', {'auditor', 'dpo', 'officer', 'supervisor'}),
    ('/api/v1/vision/items/{item_id}/boxes', 'POST', {'supervisor'}),
    ('/api/v1/vision/items/{item_id}/decision', 'POST', {'supervisor'}),
    ('/api/v1/vision/items/{item_id}/export', 'POST', CASE_STAFF),
    ('/api/v1/vision/items/{item_id}/cancel', 'POST', CASE_STAFF),
    ('/api/v1/vision/count', 'POST', {'analyst', 'officer', 'supervisor'}),
    ('/api/v1/vision/identify', 'POST', SIGNED_IN),
    ('/knowledge', 'GET', KNOWLEDGE),
    ('/knowledge/ask', 'POST', KNOWLEDGE),
    ('/knowledge/questions', 'POST', KNOWLEDGE),
    ('/knowledge/questions', 'GET', KNOWLEDGE),
    ('/knowledge/questions/{question_id}/answer', 'POST', {'admin', 'legal'}),
    ('/knowledge/passages/{passage_id}', 'GET', KNOWLEDGE),
    ('/knowledge/passages/{passage_id}/verify', 'POST', {'admin', 'legal'}),
    ('/knowledge/guidance', 'GET', KNOWLEDGE),
    ('/knowledge/cooperation', 'GET', CASE_STAFF),
    ('/knowledge/cooperation', 'POST', CASE_STAFF),
    ('/knowledge/shares/{share_id}', 'GET', {'admin', 'auditor', 'dpo', 'officer', 'supervisor'}),
    ('/knowledge/shares/{share_id}/approve', 'POST', {'supervisor'}),
    ('/knowledge/shares', 'GET', OVERSIGHT),
    ('/dispatch', 'GET', DISPATCHERS),
    ('/dispatch/incidents', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}', 'GET', DISPATCHERS),
    ('/dispatch/incidents/{reference}/triage', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}/narrative', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}/status', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}/location', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}/dispatch', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}/alert', 'POST', DISPATCHERS),
    ('/dispatch/incidents/{reference}/eido.json', 'GET', DISPATCHERS),
    ('/dispatch/units', 'GET', DISPATCHERS),
    ('/dispatch/units/{call_sign}/status', 'POST', DISPATCHERS),
    ('/dispatch/command', 'POST', DISPATCHERS),
    ('/dispatch/board', 'GET', DISPATCHERS),
    ('/dispatch/roads.geojson', 'GET', DISPATCHERS),
    ('/dispatch/board/events', 'GET', DISPATCHERS),
    ('/api/v1/dispatch/incidents', 'POST', DISPATCHERS),
    ('/api/v1/dispatch/queue', 'GET', DISPATCHERS),
    ('/api/v1/dispatch/incidents/{reference}/recommendation', 'GET', DISPATCHERS),
    ('/alerts/{alert_id}.xml', 'GET', PUBLIC),
    ('/alerts.atom', 'GET', PUBLIC),
]


def _key(path: str, methods: str) -> str:
    return f"{methods} {path}"


def _show(access: Access | set[str]) -> str:
    return access if isinstance(access, str) else "{" + ", ".join(sorted(access)) + "}"


def test_route_table_is_exactly_what_the_app_serves(client: TestClient) -> None:
    expected: dict[str, Access] = {}
    for path, methods, access in ROUTES:
        key = _key(path, methods)
        assert key not in expected, f"{key} is listed twice in ROUTES"
        expected[key] = access if isinstance(access, str) else frozenset(access)
    actual: dict[str, Access] = {}
    for route in walk_routes(client.app):
        key = _key(route.path, " ".join(route.methods))
        assert key not in actual, f"the app serves {key} twice"
        actual[key] = route.access

    problems = [f"new route, not in ROUTES: {key} -> {_show(actual[key])}"
                for key in actual if key not in expected]
    problems += [f"route in ROUTES but not served: {key}" for key in expected if key not in actual]
    problems += [f"access changed: {key}: table says {_show(expected[key])}, "
                 f"app has {_show(actual[key])}"
                 for key in expected if key in actual and expected[key] != actual[key]]
    assert not problems, "route table differs from the app:\n" + "\n".join(problems)
    assert len(actual) == len(ROUTES) > 100

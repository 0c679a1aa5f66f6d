"""The isolation matrix: every URL of the project, for every role, on its own and on foreign objects.

How it works
------------
`test_matrix.py` walks the URL resolver (portal and API, nested includes too) and
fails, naming them, if a URL name has no case. A case (`framework.Case`) says how to
build the URL for an object of branch A (target "a") and of branch B (target "b"),
or for a list (target "list"); which HTTP methods it accepts; which roles succeed
with safe methods (`read`) and unsafe ones (`write`) on A's object. Branch B's object
follows by mirror: staff B if staff A, the national administrator, the COC observer
if it reads. Every other role must be refused (403/404; staff of the other branch get
exactly 404), a refused request must leave every project table unchanged (hashed
before and after), anonymous users get the login redirect (or 401/403 for `api=True`),
and no page shown to a role may contain the planted name of a candidate it may not
see (`world.VISIBLE_CANDIDATES`). The world (`world.build_world`) is built once.

Adding your URLs
----------------
Create `tests/isolation/cases_<yourarea>.py` with a module-level `CASES` list:

    from .framework import Case, listing, sides, url
    CASES = [
        Case("certifications:certificate_list", listing("certifications:certificate_list"),
             read=frozenset({"admin", "staff_a", "staff_b"})),
        Case("certifications:certificate_revoke",
             sides("certifications:certificate_revoke", "certificate"),
             methods=("POST",), write=frozenset({"admin", "staff_a"}),
             data=lambda world, target: {"reason": "Erreur"}),
    ]

`sides(name, "attr.path", ...)` reverses `name` with the pks found at
`world.a.<path>` / `world.b.<path>`; extra labels (another candidate's or another
evaluator's object in the same branch) go in `targets` with an explicit `allow`.
Need an object the world lacks? Add it to `world.Side` (built for both branches).
Public pages: `public=True`. An API endpoint: `api=True` (JSON bodies; anonymous
requests must get 401/403; PUT, PATCH and DELETE are probed too). A method the URL
answers but the case does not declare is run anyway, as a read that may change nothing. Run it with
`pytest tests/isolation -q`; the summary line prints how many cases ran.
"""

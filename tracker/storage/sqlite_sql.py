"""The SQLite text of tracker/storage/sqlrules.py, for the light reader. Generated.

Do not edit: run `python -m tracker.storage.sqlrules > tracker/storage/sqlite_sql.py`
after changing sqlrules.py (tests/test_sqlrules.py fails while this file is stale).
"""

# ruff: noqa: E501
# fmt: off
ROWS = 'SELECT action.id, "plan"."key", "plan".authority, recommendation.ref, recommendation.title, action.ref AS ref_1, action.description, action.owner, action.partner, action.start, action.deadline, action.original_deadline, action.status, action.progress, action.measure, action.evidence, action.notes, action.revisions, action.version, action.updated_at, action.updated_by FROM action JOIN "plan" ON "plan".id = action.plan_id JOIN recommendation ON recommendation.id = action.recommendation_id'
COUNTS = 'SELECT action.status, action.deadline, count(*) AS count_1 FROM action JOIN "plan" ON "plan".id = action.plan_id JOIN recommendation ON recommendation.id = action.recommendation_id'
COUNTS_GROUP = ' GROUP BY action.status, action.deadline'
PLAN_KEYS = 'SELECT "plan"."key" FROM "plan" ORDER BY "plan".sort_key'
WHERE: dict[str, str] = {
    'plan': '"plan"."key" = :plan',
    'rec': 'recommendation.ref = :rec',
    'owner': "lower(action.owner) LIKE '%' || lower(:owner) || '%' ESCAPE '/'",
    'owner_is': 'action.owner = :owner_is',
    'statuses': 'action.status IN (__[POSTCOMPILE_statuses])',
    'rag:RED': 'action.status = :s_blocked OR action.status IN (__[POSTCOMPILE_s_working]) AND action.deadline < :red_before',
    'rag:AMBER': 'action.status IN (__[POSTCOMPILE_s_working]) AND (action.deadline < :today AND action.deadline >= :red_before OR action.status = :s_not_started AND action.deadline >= :today AND action.deadline <= :due_soon_limit)',
    'rag:GREEN': 'action.status IN (__[POSTCOMPILE_s_working]) AND action.deadline >= :today AND (action.status = :s_in_progress OR action.deadline > :due_soon_limit)',
    'rag:BLUE': 'action.status = :s_complete',
    'rag:NONE': 'action.status = :s_cancelled',
    'overdue': 'action.status IN (__[POSTCOMPILE_s_open]) AND action.deadline < :today',
    'due_soon': 'action.status IN (__[POSTCOMPILE_s_open]) AND action.deadline >= :today AND action.deadline <= :due_soon_limit',
    'stale': 'action.status IN (__[POSTCOMPILE_s_open]) AND action.updated_at < :stale_before',
    'search': "(lower(action.ref) LIKE '%' || lower(:search) || '%' ESCAPE '/') OR (lower(action.description) LIKE '%' || lower(:search) || '%' ESCAPE '/') OR (lower(action.owner) LIKE '%' || lower(:search) || '%' ESCAPE '/')",
}
ORDER_BY: dict[tuple[str, bool], str] = {
    ('ref', False): 'action.order_key',
    ('ref', True): 'action.order_key DESC',
    ('description', False): 'action.description ASC, action.order_key',
    ('description', True): 'action.description DESC, action.order_key',
    ('owner', False): 'action.owner ASC, action.order_key',
    ('owner', True): 'action.owner DESC, action.order_key',
    ('deadline', False): 'action.deadline ASC, action.order_key',
    ('deadline', True): 'action.deadline DESC, action.order_key',
    ('status', False): 'action.status ASC, action.order_key',
    ('status', True): 'action.status DESC, action.order_key',
    ('progress', False): 'action.progress ASC, action.order_key',
    ('progress', True): 'action.progress DESC, action.order_key',
    ('rag', False): 'CASE WHEN (action.status = :s_blocked OR action.status IN (__[POSTCOMPILE_s_working]) AND action.deadline < :red_before) THEN 1 WHEN (action.status IN (__[POSTCOMPILE_s_working]) AND (action.deadline < :today AND action.deadline >= :red_before OR action.status = :s_not_started AND action.deadline >= :today AND action.deadline <= :due_soon_limit)) THEN 2 WHEN (action.status IN (__[POSTCOMPILE_s_working]) AND action.deadline >= :today AND (action.status = :s_in_progress OR action.deadline > :due_soon_limit)) THEN 3 WHEN (action.status = :s_complete) THEN 4 ELSE 5 END ASC, action.order_key',
    ('rag', True): 'CASE WHEN (action.status = :s_blocked OR action.status IN (__[POSTCOMPILE_s_working]) AND action.deadline < :red_before) THEN 1 WHEN (action.status IN (__[POSTCOMPILE_s_working]) AND (action.deadline < :today AND action.deadline >= :red_before OR action.status = :s_not_started AND action.deadline >= :today AND action.deadline <= :due_soon_limit)) THEN 2 WHEN (action.status IN (__[POSTCOMPILE_s_working]) AND action.deadline >= :today AND (action.status = :s_in_progress OR action.deadline > :due_soon_limit)) THEN 3 WHEN (action.status = :s_complete) THEN 4 ELSE 0 END DESC, action.order_key',
}
# fmt: on

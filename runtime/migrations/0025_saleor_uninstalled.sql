-- A shop's own APP_DELETED is recorded as `uninstalled_at`, apart from an operator's disable
-- (`enabled = false` with `disabled_at`): an uninstall that arrives while an operator has the
-- shop disabled is no longer refused and forgotten, and `opsgraph saleor shops enable` tells
-- the two apart by this column instead of by matching audit entries.
ALTER TABLE saleor_apps ADD COLUMN uninstalled_at timestamptz;

-- Links disabled before this column existed: an operator's disable left an audit entry
-- carrying the link's `disabled_at`; any other disabled link was disabled by APP_DELETED.
UPDATE saleor_apps a
   SET uninstalled_at = a.disabled_at
 WHERE NOT a.enabled
   AND NOT EXISTS (
       SELECT 1 FROM audit_log l
        WHERE l.tenant_id = a.tenant_id
          AND l.action = 'saleor_link.disabled'
          AND l.subject = 'saleor_link:' || a.tenant_id
          AND (l.details ->> 'disabled_at')::timestamptz = a.disabled_at);

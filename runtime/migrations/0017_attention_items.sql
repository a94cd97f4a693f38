-- Attention items share the approvals table, the inbox and the resume path with approvals:
-- `kind` tells them apart (an approval: a rule stopped a call; an attention item: a
-- specialist could not reach its goal and asks which remedy to take).
ALTER TABLE approvals
    ADD COLUMN kind text NOT NULL DEFAULT 'approval' CHECK (kind IN ('approval', 'attention'));

-- Digests are prompts too: once per manager and review date, once per channel and week.
ALTER TABLE prompts DROP CONSTRAINT IF EXISTS prompts_kind_check;
ALTER TABLE prompts ADD CONSTRAINT prompts_kind_check
    CHECK (kind IN ('weekly', 'monthly', 'review_digest', 'team_digest'));

-- principal: who acted, independent of the key used (an IAM user's console session and its
-- access keys are one principal). Sequence rules link their steps on it.
coalesce(nullif(principal_arn, ''), nullif(user_name, ''), nullif(principal_id, ''), invoked_by, 'anonymous')

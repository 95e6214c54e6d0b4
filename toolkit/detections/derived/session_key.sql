-- session_key: the actor session a call belongs to, so findings group by who acted rather than
-- by source IP (one stolen key used from fifty IPs is one actor). An STS role session and a
-- console session each sign with their own temporary access key; an IAM user's long-lived key
-- is its own session (windowed by the finding's day); calls without a key fall back to the
-- principal (the root user, an AWS service, an anonymous caller).
coalesce(
    nullif(access_key_id, ''),
    nullif(principal_arn, ''),
    nullif(user_name, ''),
    nullif(principal_id, ''),
    invoked_by,
    'anonymous'
)

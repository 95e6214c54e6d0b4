select
    event_time,
    event_id,
    recipient_account_id,
    identity_type,
    principal_arn,
    user_name,
    login_result,
    mfa_used,
    is_root,
    source_ip_address,
    user_agent,
    error_message
from cur_console_logins
where dt between :start and :end
    and (not coalesce(succeeded, false) or not coalesce(mfa_used, false) or is_root)
order by event_time, event_id

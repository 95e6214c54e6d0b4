-- Successful calls that issued a credential or an identity, with what they issued: the staging
-- view stg_credential_issuance (the definition cur_identity_sessions reads too). The hole picks
-- the direction of the chain walk: what given credentials issued, or what issued them.
with

issued as (

    select
        event_time, event_id, event_name, account_id, parent_key, parent_arn,
        issued_access_key_id as issued_key, issued_arn, role_arn,
        requested_source_identity, target_user
    from stg_credential_issuance
    where dt between :start and :end
        and outcome = 'succeeded'

)

select * from issued
where ({{ direction }})
order by event_time, event_id

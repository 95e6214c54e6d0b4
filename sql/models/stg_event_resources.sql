-- stg_event_resources: the resources each CloudTrail call touched (read or changed), one row
-- per event and resource. The one definition of "resource touched" and of its canonical
-- resource_id: the id CloudWatch carries in its metric dimensions (i-..., DB identifier,
-- function name, app/<lb>/<id>, sg-..., bucket; toolkit.cloudwatch.catalog.resource_id gives
-- the same form from dimensions), so CloudTrail activity joins to the metrics table on
-- resource_id. Sources: the event's resources[] ARNs, then request/response fields that name a
-- resource (the list below, as data), then EC2 instancesSet items.
-- A VIEW over stg_events (see stg_events.sql for why); events naming no resource have no row.
-- `mutating` (stg_events) is carried along so `where mutating` prunes before the extraction.

with

called as (

    select
        dt,
        event_id,
        mutating,
        event_source,
        request_parameters,
        response_elements,
        resources
    from stg_events

),

-- Request/response fields that name a resource, as data: (service or '*', document, path, type).
parameter_paths as (

    select * from (
        values
            ('*', 'request', '$.instanceId', 'AWS::EC2::Instance'),
            ('*', 'request', '$.groupId', 'AWS::EC2::SecurityGroup'),
            ('*', 'response', '$.groupId', 'AWS::EC2::SecurityGroup'),
            ('*', 'request', '$.volumeId', 'AWS::EC2::Volume'),
            ('*', 'response', '$.volumeId', 'AWS::EC2::Volume'),
            ('*', 'request', '$.snapshotId', 'AWS::EC2::Snapshot'),
            ('*', 'response', '$.snapshotId', 'AWS::EC2::Snapshot'),
            ('*', 'request', '$.imageId', 'AWS::EC2::Image'),
            ('*', 'request', '$.vpcId', 'AWS::EC2::VPC'),
            ('*', 'request', '$.subnetId', 'AWS::EC2::Subnet'),
            ('*', 'request', '$.routeTableId', 'AWS::EC2::RouteTable'),
            ('*', 'request', '$.networkAclId', 'AWS::EC2::NetworkAcl'),
            ('*', 'request', '$.internetGatewayId', 'AWS::EC2::InternetGateway'),
            ('*', 'request', '$.dBInstanceIdentifier', 'AWS::RDS::DBInstance'),
            ('*', 'request', '$.dBClusterIdentifier', 'AWS::RDS::DBCluster'),
            ('*', 'request', '$.dBSnapshotIdentifier', 'AWS::RDS::DBSnapshot'),
            ('*', 'request', '$.functionName', 'AWS::Lambda::Function'),
            ('*', 'request', '$.loadBalancerArn', 'AWS::ElasticLoadBalancingV2::LoadBalancer'),
            ('*', 'response', '$.loadBalancers[0].loadBalancerArn', 'AWS::ElasticLoadBalancingV2::LoadBalancer'),
            ('*', 'request', '$.loadBalancerName', 'AWS::ElasticLoadBalancing::LoadBalancer'),
            ('*', 'request', '$.targetGroupArn', 'AWS::ElasticLoadBalancingV2::TargetGroup'),
            ('*', 'request', '$.bucketName', 'AWS::S3::Bucket'),
            ('*', 'request', '$.userName', 'AWS::IAM::User'),
            ('*', 'request', '$.roleName', 'AWS::IAM::Role'),
            ('*', 'request', '$.policyArn', 'AWS::IAM::ManagedPolicy'),
            ('*', 'request', '$.keyId', 'AWS::KMS::Key'),
            ('iam.amazonaws.com', 'request', '$.accessKeyId', 'AWS::IAM::AccessKey'),
            ('iam.amazonaws.com', 'response', '$.accessKey.accessKeyId', 'AWS::IAM::AccessKey'),
            ('cloudtrail.amazonaws.com', 'request', '$.name', 'AWS::CloudTrail::Trail'),
            ('cloudtrail.amazonaws.com', 'request', '$.trailName', 'AWS::CloudTrail::Trail'),
            ('ssm.amazonaws.com', 'request', '$.name', 'AWS::SSM::Parameter'),
            ('secretsmanager.amazonaws.com', 'request', '$.secretId', 'AWS::SecretsManager::Secret'),
            ('guardduty.amazonaws.com', 'request', '$.detectorId', 'AWS::GuardDuty::Detector'),
            ('logs.amazonaws.com', 'request', '$.logGroupName', 'AWS::Logs::LogGroup'),
            ('config.amazonaws.com', 'request', '$.configurationRecorderName', 'AWS::Config::ConfigurationRecorder')
    ) as paths (event_source, document, json_path, resource_type)

),

listed_resources as (

    select
        c.dt,
        c.event_id,
        c.mutating,
        t.resource_arn as raw_value,
        element_at(c.resources, t.position).type as resource_type,
        'resources' as found_in
    from called as c
    cross join unnest(transform(c.resources, r -> r.arn)) with ordinality as t (resource_arn, position)

),

parameter_resources as (

    select
        c.dt,
        c.event_id,
        c.mutating,
        json_extract_scalar(
            case p.document when 'request' then c.request_parameters else c.response_elements end,
            p.json_path
        ) as raw_value,
        p.resource_type,
        case p.document when 'request' then 'request_parameters' else 'response_elements' end
            as found_in
    from called as c
    cross join parameter_paths as p
    where p.event_source in ('*', c.event_source)

),

-- EC2 calls on several instances at once list them in instancesSet.items (request and
-- response; RunInstances has the new ids only in the response).
instance_set_items as (

    select c.dt, c.event_id, c.mutating, t.item, 'request_parameters' as found_in
    from called as c
    cross join unnest(
        try_cast(json_extract(c.request_parameters, '$.instancesSet.items') as array(json))
    ) as t (item)

    union all

    select c.dt, c.event_id, c.mutating, t.item, 'response_elements' as found_in
    from called as c
    cross join unnest(
        try_cast(json_extract(c.response_elements, '$.instancesSet.items') as array(json))
    ) as t (item)

),

instance_resources as (

    select
        dt,
        event_id,
        mutating,
        json_extract_scalar(item, '$.instanceId') as raw_value,
        'AWS::EC2::Instance' as resource_type,
        found_in
    from instance_set_items

),

-- EC2 tagging calls (CreateTags, DeleteTags) name what they tag in resourcesSet.items[].resourceId;
-- the id's prefix gives its type (EC2 resource ids are <prefix>-<hex>).
tagged_resources as (

    select
        c.dt,
        c.event_id,
        c.mutating,
        json_extract_scalar(t.item, '$.resourceId') as raw_value,
        case split_part(json_extract_scalar(t.item, '$.resourceId'), '-', 1)
            when 'i' then 'AWS::EC2::Instance'
            when 'vol' then 'AWS::EC2::Volume'
            when 'sg' then 'AWS::EC2::SecurityGroup'
            when 'snap' then 'AWS::EC2::Snapshot'
            when 'ami' then 'AWS::EC2::Image'
            when 'vpc' then 'AWS::EC2::VPC'
            when 'subnet' then 'AWS::EC2::Subnet'
            when 'eni' then 'AWS::EC2::NetworkInterface'
            when 'rtb' then 'AWS::EC2::RouteTable'
            when 'igw' then 'AWS::EC2::InternetGateway'
            when 'acl' then 'AWS::EC2::NetworkAcl'
            when 'lt' then 'AWS::EC2::LaunchTemplate'
        end as resource_type,
        'request_parameters' as found_in
    from called as c
    cross join unnest(
        try_cast(json_extract(c.request_parameters, '$.resourcesSet.items') as array(json))
    ) as t (item)
    where c.event_source = 'ec2.amazonaws.com'

),

candidates as (

    select * from listed_resources
    union all
    select * from parameter_resources
    union all
    select * from instance_resources
    union all
    select * from tagged_resources

),

identified as (

    select
        dt,
        event_id,
        mutating,
        resource_type,
        found_in,
        case when raw_value like 'arn:%' then raw_value end as resource_arn,
        -- the canonical id: an ARN's resource part without its type prefix, an id as it is
        -- (instance/i-1 -> i-1, function:f -> f, db:d -> d; S3 keeps bucket[/key]; an ALB keeps
        -- app/<name>/<id>): the fragment resource_id_arn_prefix (sql/fragments.yml) defines it
        -- once, for this view and for the subject conditions that match a resource by its id
        regexp_replace(raw_value, {{ resource_id_arn_prefix }}, '') as resource_id
    from candidates
    where raw_value is not null
        and raw_value <> ''

),

final as (

    select
        dt,
        event_id,
        mutating,
        resource_id,
        min(resource_type) as resource_type,
        max(resource_arn) as resource_arn,
        min(found_in) as found_in
    from identified
    group by dt, event_id, mutating, resource_id

)

select * from final

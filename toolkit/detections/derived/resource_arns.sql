-- resource_arns: the ARNs a call names in resources[]: each entry's ARN, or its ARNPrefix (S3
-- DeleteObjects and other data events name "every object under arn:aws:s3:::bucket/" that way).
-- The events table's resources struct has no ARNPrefix field, so the prefixes are read from the
-- record as delivered (`record`, the exact JSON text) until the struct has one.
filter(
    concat(
        coalesce(transform(resources, r -> r.arn), cast(array[] as array(varchar))),
        regexp_extract_all(coalesce(record, ''), '"ARNPrefix"\s*:\s*"([^"]*)"', 1)
    ),
    a -> a is not null
)

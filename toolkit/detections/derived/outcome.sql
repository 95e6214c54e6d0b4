-- outcome: what a CloudTrail call achieved, from its errorCode. The one definition in the repo:
-- rules, sequences, findings and Sigma imports read it from here (a staging model will own it).
--   succeeded  no errorCode (and not a failed console sign-in)
--   denied     authorization or authentication refused: AccessDenied*, *UnauthorizedOperation
--              (EC2's Client.UnauthorizedOperation), *UnauthorizedAccess*, Forbidden, SNS/Cognito
--              AuthorizationError/NotAuthorized, invalid or expired credentials
--   failed     any other error: *NotFound, throttling, limits (VcpuLimitExceeded), validation,
--              and console sign-ins answered "Failure" (CloudTrail logs those without errorCode)
case
    when error_code is null or error_code = ''
        then case
            when json_extract_scalar(response_elements, '$.ConsoleLogin') = 'Failure' then 'failed'
            else 'succeeded'
        end
    when error_code like '%AccessDenied%'
        or error_code like '%UnauthorizedOperation'
        or error_code like '%UnauthorizedAccess%'
        or error_code in (
            'Forbidden', 'AuthorizationError', 'AuthorizationErrorException', 'NotAuthorized',
            'NotAuthorizedException', 'Client.AuthFailure', 'AuthFailure', 'InvalidClientTokenId',
            'SignatureDoesNotMatch', 'UnrecognizedClientException', 'ExpiredToken',
            'ExpiredTokenException'
        )
        then 'denied'
    else 'failed'
end

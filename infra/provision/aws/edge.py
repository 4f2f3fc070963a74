"""The edge on AWS: a private S3 bucket for media and CloudFront in front of it and the ALB.

The bucket blocks every kind of public access; CloudFront reads it through an origin
access control (SigV4-signed requests, allowed by a bucket policy naming this one
distribution). `/media/*` is served from the bucket, with the `/media` prefix taken off
by a viewer-request function (object keys have none), and cached as the objects say.
Everything else goes to the ALB: cached as the API's Cache-Control says, with the
Authorization header in the cache key, so no answer to one user is ever served to
another. A purge is a CloudFront invalidation (see stack/edge/purge.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# AWS managed cache policy: long TTLs, the origin's headers respected.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# AWS managed origin request policy: every viewer header but Host.
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]

STRIP_MEDIA_PREFIX = """\
function handler(event) {
    var request = event.request;
    request.uri = request.uri.replace(/^\\/media\\//, "/");
    return request;
}
"""


@dataclass
class EdgeArgs:
    """Where the API is (the ALB's URL) and how widely CloudFront serves it."""

    api_url: pulumi.Input[str]
    price_class: str = "PriceClass_100"


def media_read_policy(bucket_arn: str, distribution_arn: str) -> str:
    """Objects readable by this CloudFront distribution only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudFrontReadsMedia",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                }
            ],
        }
    )


class Edge(pulumi.ComponentResource):
    """The media bucket and the CloudFront distribution in front of it and the ALB."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    edge_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Edge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = self._bucket(name, child)
        access = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        strip = aws.cloudfront.Function(
            f"{name}-media-path",
            runtime="cloudfront-js-2.0",
            code=STRIP_MEDIA_PREFIX,
            publish=True,
            opts=child,
        )
        api_policy = aws.cloudfront.CachePolicy(
            f"{name}-api",
            min_ttl=0,
            default_ttl=0,
            max_ttl=86_400,
            parameters_in_cache_key_and_forwarded_to_origin=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
                headers_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
                    header_behavior="whitelist",
                    headers=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeadersArgs(
                        items=["Authorization"]
                    ),
                ),
                query_strings_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
                    query_string_behavior="all"
                ),
                cookies_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
                    cookie_behavior="none"
                ),
                enable_accept_encoding_gzip=True,
            ),
            opts=child,
        )
        alb_host = pulumi.Output.from_input(args.api_url).apply(lambda url: url.split("://", 1)[-1])
        scheme = pulumi.Output.from_input(args.api_url).apply(lambda url: url.split("://", 1)[0])
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment="chirp: media and public API reads",
            price_class=args.price_class,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="media",
                    domain_name=bucket.bucket_regional_domain_name,
                    origin_access_control_id=access.id,
                ),
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="api",
                    domain_name=alb_host,
                    custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                        http_port=80,
                        https_port=443,
                        origin_protocol_policy=scheme.apply(
                            lambda s: "https-only" if s == "https" else "http-only"
                        ),
                        origin_ssl_protocols=["TLSv1.2"],
                    ),
                ),
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="api",
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=ALL_METHODS,
                cached_methods=["GET", "HEAD"],
                cache_policy_id=api_policy.id,
                origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST,
                compress=True,
            ),
            ordered_cache_behaviors=[
                aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                    path_pattern="/media/*",
                    target_origin_id="media",
                    viewer_protocol_policy="redirect-to-https",
                    allowed_methods=["GET", "HEAD"],
                    cached_methods=["GET", "HEAD"],
                    cache_policy_id=CACHING_OPTIMIZED,
                    compress=False,
                    function_associations=[
                        aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs(
                            event_type="viewer-request", function_arn=strip.arn
                        )
                    ],
                )
            ],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                cloudfront_default_certificate=True
            ),
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-media-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, distribution.arn).apply(
                lambda arns: media_read_policy(arns[0], arns[1])
            ),
            opts=child,
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.edge_url = pulumi.Output.concat("https://", distribution.domain_name)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "distribution_id": self.distribution_id,
                "edge_url": self.edge_url,
            }
        )

    def _bucket(self, name: str, child: pulumi.ResourceOptions) -> aws.s3.BucketV2:
        bucket = aws.s3.BucketV2(f"{name}-media", opts=child)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-media-private",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-media-owner",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfigurationV2(
            f"{name}-media-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationV2RuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        return bucket

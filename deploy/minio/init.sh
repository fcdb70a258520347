#!/bin/sh
# One-shot MinIO setup, run by the `minio-init` service in docker-compose.yml on every start.
# Idempotent: creates the private bucket if missing, (re)creates the storage service's policy and
# user, and sets that user's secret to the one in .env (so rotation is "edit .env, up -d").
# The storage service gets a key pair that can only touch its bucket; MinIO's root credentials
# stay with this job and the operator.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${MINIO_BUCKET:?}"
: "${MINIO_APP_ACCESS_KEY:?}" "${MINIO_APP_SECRET_KEY:?}"

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

mc mb --ignore-existing "local/$MINIO_BUCKET"
# Private: clients get objects through the storage service or its short-lived presigned URLs.
mc anonymous set none "local/$MINIO_BUCKET"

policy_file="$(mktemp)"
cat > "$policy_file" <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::$MINIO_BUCKET"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::$MINIO_BUCKET/*"]
    }
  ]
}
POLICY
mc admin policy create local authorworks-storage "$policy_file"
rm -f "$policy_file"

mc admin user add local "$MINIO_APP_ACCESS_KEY" "$MINIO_APP_SECRET_KEY"
# Attaching twice is an error, so look first (with a shell pattern: the image has no grep).
user_info="$(mc admin user info local "$MINIO_APP_ACCESS_KEY")"
case "$user_info" in
  *authorworks-storage*) ;;
  *) mc admin policy attach local authorworks-storage --user "$MINIO_APP_ACCESS_KEY" ;;
esac

echo "minio-init: bucket $MINIO_BUCKET ready, user $MINIO_APP_ACCESS_KEY has policy authorworks-storage"

"""moto's IAM and STS for the upload tests (boto3).

    sts.py bootstrap URL      the admin user from moto's unauthenticated first
                              calls, and the role the tests assume; prints
                              shell assignments (ZI_MOTO_ADMIN_KEY_ID=...)
    sts.py bucket NAME        creates a bucket (admin keys from the env)
    sts.py assume [SECONDS]   AssumeRole on the tests' role: prints the
                              credentials as JSON

moto runs with INITIAL_NO_AUTH_ACTION_COUNT=3, so exactly the first three
calls (create user, its policy, its access key) go unchecked; every later
call is signed and checked against IAM, S3 requests with an assumed role's
session token included.
"""
import json
import os
import sys

import boto3

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"},
     "Action": "sts:AssumeRole"}]})
ROLE = "zilliz-import-uploader"


def client(service, url, key, secret):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def admin(service):
    return client(service, os.environ["ZI_MOTO_URL"], os.environ["ZI_MOTO_ADMIN_KEY_ID"],
                  os.environ["ZI_MOTO_ADMIN_SECRET"])


def bootstrap(url):
    iam = client("iam", url, "bootstrap", "bootstrap")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    iam = client("iam", url, key["AccessKeyId"], key["SecretAccessKey"])
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)["Role"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="all", PolicyDocument=ALLOW_ALL)
    print(f"ZI_MOTO_ADMIN_KEY_ID={key['AccessKeyId']}")
    print(f"ZI_MOTO_ADMIN_SECRET={key['SecretAccessKey']}")
    print(f"ZI_MOTO_ROLE_ARN={role['Arn']}")


def assume(seconds):
    creds = admin("sts").assume_role(RoleArn=os.environ["ZI_MOTO_ROLE_ARN"],
                                     RoleSessionName="upload-test",
                                     DurationSeconds=seconds)["Credentials"]
    print(json.dumps({"accessKeyId": creds["AccessKeyId"],
                      "secretAccessKey": creds["SecretAccessKey"],
                      "sessionToken": creds["SessionToken"],
                      "expiration": creds["Expiration"].timestamp()}))


def main():
    cmd = sys.argv[1]
    if cmd == "bootstrap":
        bootstrap(sys.argv[2])
    elif cmd == "bucket":
        admin("s3").create_bucket(Bucket=sys.argv[2])
    elif cmd == "assume":
        assume(int(sys.argv[2]) if len(sys.argv) > 2 else 3600)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

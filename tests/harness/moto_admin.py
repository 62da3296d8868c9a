"""Admin helper of the rolecall end-to-end harness: sets up IAM in a moto server with boto3.

Run by `tests/harness/moto.rs` with the test venv's python as
    python -c <this file> ENDPOINT OPERATION JSON_ARGS
It prints one JSON object on stdout; on failure a traceback goes to stderr and it exits non-zero.
The caller's credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: dummy ones before
moto's auth mode is on, the harness admin user's keys after. With "ensure_admin": true in the
arguments it first creates that admin user (once) and returns its keys under "admin".
"""

import json
import os
import sys

import boto3

ADMIN_USER = "rolecall-harness-admin"


def policy(actions):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


def trust_policy(principals, external_id):
    # Always a list: moto compares a string Principal by substring, a list by equality.
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def main():
    endpoint, operation, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    args = json.loads(raw)
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    out = {}

    if args.get("ensure_admin"):
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(UserName=ADMIN_USER, PolicyName="admin", PolicyDocument=policy(["*"]))
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        out["admin"] = {
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
        }

    if operation == "ensure_admin":
        pass
    elif operation == "create_user":
        user = iam.create_user(UserName=args["name"])["User"]
        if args["actions"]:
            iam.put_user_policy(
                UserName=args["name"], PolicyName="sts", PolicyDocument=policy(args["actions"])
            )
        key = iam.create_access_key(UserName=args["name"])["AccessKey"]
        out.update(
            user_arn=user["Arn"],
            access_key_id=key["AccessKeyId"],
            secret_access_key=key["SecretAccessKey"],
        )
    elif operation == "create_role":
        role = iam.create_role(
            RoleName=args["name"],
            AssumeRolePolicyDocument=trust_policy(args["principals"], args.get("external_id")),
        )["Role"]
        iam.put_role_policy(
            RoleName=args["name"], PolicyName="sts", PolicyDocument=policy(args["actions"])
        )
        out["role_arn"] = role["Arn"]
    elif operation == "set_trust":
        iam.update_assume_role_policy(
            RoleName=args["name"],
            PolicyDocument=trust_policy(args["principals"], args.get("external_id")),
        )
    elif operation == "create_mfa_device":
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=args["user"])["VirtualMFADevice"]
        # moto checks neither code: any two six-digit codes enable the device.
        iam.enable_mfa_device(
            UserName=args["user"],
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        out["serial"] = device["SerialNumber"]
    else:
        raise SystemExit(f"moto_admin: unknown operation {operation!r}")

    json.dump(out, sys.stdout)


main()

"""An integrator's script using only ``requests`` and tokens: open a case, escalate it, flag it,
get the flag signed off and resolve the case, through /api/v1/.

    python bench/api_client.py --url http://127.0.0.1:8000 --customer AC00000001 \\
        --agent-token edk_... --specialist-token edk_... --reviewer-token edk_...

The agent works the case (a member of the case's team), the specialist answers the escalation
(a member of ``--to-team``), and the reviewer signs the flag off (compliance, four-eyes: not the
agent). Tokens come from ``manage.py api_token issue <username> --name script``. Each step prints
what the API answered; any error stops the script with the API's ``{"error", "detail"}``.
"""

from __future__ import annotations

import argparse
import sys

import requests


class Api:
    def __init__(self, base: str, token: str):
        self.base = base.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, *, body=None, etag: str | None = None, expect=(200, 201)):
        headers = {"If-Match": etag} if etag else {}
        response = self.session.request(method, self.base + path, json=body, headers=headers, timeout=30)
        if response.status_code not in expect:
            sys.exit(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json(), response.headers.get("ETag")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--customer", required=True, help="an account number of an existing customer")
    parser.add_argument("--agent-token", required=True)
    parser.add_argument("--specialist-token", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--to-team", default="fraud-scam", help="team slug to escalate to")
    parser.add_argument("--reason", default="scam_reported", help="escalation reason code")
    parser.add_argument("--decision", default="confirmed_fraud_not_covered", help="sign-off reason code")
    args = parser.parse_args()
    agent = Api(args.url, args.agent_token)
    specialist = Api(args.url, args.specialist_token)
    reviewer = Api(args.url, args.reviewer_token)

    case, etag = agent.call("POST", "/cases/", body={
        "customer": args.customer, "subject": "Sent 0.4 BTC to a fake support agent",
        "body": "Someone claiming to be your support asked me to move my coins to a 'safe wallet'.",
        "channel": "chat", "category": "scam-fraud", "priority": "high",
    })  # fmt: skip
    ref = case["reference"]
    print(f"created {ref} ({case['status']}, {etag})")

    hop, _ = agent.call("POST", f"/cases/{ref}/escalations/", body={
        "to_team": args.to_team, "reason": args.reason, "note": "Customer was socially engineered; please advise.",
    })  # fmt: skip
    print(f"escalated to {hop['to_team']['name']} (escalation {hop['id']}, {hop['status']})")
    hop, hop_tag = specialist.call("POST", f"/escalations/{hop['id']}/accept/", body={})
    print(f"accepted by {hop['owner']['name']}")
    hop, _ = specialist.call("POST", f"/escalations/{hop['id']}/return/", etag=hop_tag, body={
        "outcome": "guidance", "guidance": "Authorized push payment; not covered. Raise a scam flag and explain.",
    })  # fmt: skip
    print(f"returned with guidance ({hop['status']})")

    _, etag = agent.call("GET", f"/cases/{ref}/")
    reply, etag = agent.call("POST", f"/cases/{ref}/replies/", etag=etag, body={
        "body": "We are sorry this happened. Our fraud team reviewed the transfer; here is what happens next.",
    })  # fmt: skip
    print(f"replied (event {reply['id']}, now {etag})")
    flag, flag_tag = agent.call("POST", f"/cases/{ref}/flags/", body={
        "kind": "scam_fraud", "facts": {"scam_type": "authorized_push_payment", "amount": "0.4", "asset": "BTC"},
    })  # fmt: skip
    print(f"flag {flag['id']} raised ({flag['kind']})")
    flag, flag_tag = agent.call("POST", f"/flags/{flag['id']}/submit/", etag=flag_tag)
    print(f"flag submitted; evidence {flag['evidence_hash'][:12]}…")
    flag, _ = reviewer.call("POST", f"/flags/{flag['id']}/sign-off/", etag=flag_tag, body={
        "reason": args.decision, "seen_hash": flag["evidence_hash"], "note": "APP scam; customer informed.",
    })  # fmt: skip
    print(f"flag {flag['status']} by the reviewer")

    _, etag = agent.call("GET", f"/cases/{ref}/")
    case, etag = agent.call("POST", f"/cases/{ref}/status/", etag=etag,
                            body={"to_status": "resolved", "reason": "Explained; not covered."})  # fmt: skip
    print(f"{ref} is {case['status']} ({etag})")
    timeline, _ = agent.call("GET", f"/cases/{ref}/")
    print(f"timeline: {', '.join(event['kind'] for event in timeline['timeline'])}")


if __name__ == "__main__":
    main()

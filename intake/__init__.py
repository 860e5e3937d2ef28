"""Cases from other systems: tickets from the upstream helpdesk (idempotent ingest) and regulator
complaints imported from the CFPB Consumer Complaint Database export."""

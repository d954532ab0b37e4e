-- The services' databases, created when the postgres container starts on an empty volume.
-- (`python -m kit.migrate` also creates a missing one; this keeps the list visible.)
CREATE DATABASE agency_identity;
CREATE DATABASE agency_notifications;
CREATE DATABASE agency_clients;
CREATE DATABASE agency_billing;
CREATE DATABASE agency_reporting;

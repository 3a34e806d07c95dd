DROP TABLE invitation_requests;

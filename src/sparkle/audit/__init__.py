"""The audit log: who changed what, when and from where. Any domain that makes a change on
someone else's behalf (an administrator's edit of a profile, a role or a ban) records it here."""

"""Organisation scale (`keylatch org plan | scan | merge`): every repository of a GitHub
organisation or GitLab group, on one machine or sharded over any engine that numbers its workers.

plan.py lists the repositories (github.py, gitlab.py over api.py; or a list file) as JSON lines;
shard.py picks one shard of them; fetch.py clones each with credentials from the environment only;
scan.py runs the history walker and results.py writes one redacted result per repository and head;
merge.py joins the results by key fingerprint and render.py prints them.
"""

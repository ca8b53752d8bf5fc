"""The API handlers of the local hub, one module per family of endpoints (docs/hub-api.md §2): repos (create,
delete, move, settings, info, listings), read (tree, paths-info, commits, resolve, validate-yaml), refs (tags,
branches, squash), upload (preupload, LFS batch/PUT/verify), commit, discussions. Each reads repos through
repo_view.RepoView; routing.py maps URLs onto them.
"""

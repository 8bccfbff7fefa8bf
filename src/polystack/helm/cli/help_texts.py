"""The long descriptions `helm CMD --help` prints above Usage (cobra's Long),
for the commands whose Long Helm sets; a command without one prints its short
description. Written for polystack: the same information as Helm's, in the same
place, in our own words."""

from __future__ import annotations

__all__ = ["LONG", "USE"]

CREATE = """
Create a chart directory holding the files and directories a chart usually has.

For example, 'helm create foo' writes:

    foo/
    ├── .helmignore   # patterns of files to leave out when packaging
    ├── Chart.yaml    # the chart's metadata: name, version, description ...
    ├── values.yaml   # the default values of the templates
    ├── charts/       # the charts this chart depends on
    └── templates/    # the templates, rendered with the values

The argument is a path; missing directories along it are created. When the
destination already exists, the scaffold's files overwrite the files of the
same names and every other file is left as it is.
"""

LINT = """
Run a series of checks on the chart at each given path, to find out whether it
is well formed.

Problems that would make an installation of the chart fail are reported as
[ERROR]; departures from Helm's conventions and recommendations as [WARNING].
"""

PACKAGE = """
Package a chart directory into a versioned chart archive (NAME-VERSION.tgz), the
form chart repositories serve.

Each path given must be a chart directory (one holding a Chart.yaml); without a
path the current directory is packaged.

To sign the archive, add '--sign', normally with the keyring holding the
secret key ('--keyring') and the name of the key ('--key'):

    $ helm package --sign ./mychart --key mykey --keyring ~/.gnupg/secring.gpg

The provenance file is written next to the archive. Without '--keyring' the
default keyring is used ($GNUPGHOME/pubring.gpg, else ~/.gnupg/pubring.gpg).
"""

PULL = """
Download a chart from a chart repository, a URL or an OCI registry and save it
locally: to look at it, change it or package it again, or to check its
signature without installing it.

'--untar' unpacks the chart after the download, into a directory of its own.

With '--verify' the chart must come with a provenance file and pass the
verification; if any part of that fails, the command fails and nothing is
saved.
"""

PUSH = """
Upload a chart archive to an OCI registry. A provenance file next to the archive
is uploaded with it.
"""

REGISTRY = """
Work with OCI registries: the subcommands log in to and out of one.
"""

REGISTRY_LOGIN = """
Log in to a registry: check the credentials against it and store them for the
commands that use the registry.
"""

REGISTRY_LOGOUT = """
Log out of a registry: remove the credentials stored for it.
"""

REPO = """
Work with chart repositories: the subcommands add, list, remove, update and
index them.
"""

REPO_INDEX = """
Read a directory, make an index of the chart archives it holds and write it to
'index.yaml' in that directory: the index file a chart repository serves.

'--url' sets the absolute URL the charts are served from. '--merge' adds the
charts found to an existing index file; a chart found in the directory takes
the place of the same chart and version in that index.
"""

REPO_UPDATE = """
Fetch the latest index of each chart repository and keep it in the local cache,
where commands such as 'helm search repo' read it.

Name repositories to update only those:

    $ helm repo update <repo_name>

Without names, every configured repository is updated.
"""

DEPENDENCY_UPDATE = """
Bring the dependencies on disk in line with Chart.yaml.

The charts Chart.yaml asks for must be in 'charts/' at a version its
constraints allow: the newest charts that satisfy them are downloaded, and old
copies of those dependencies are removed. A successful update writes the lock
file (Chart.lock), with which 'helm dependency build' rebuilds the same
versions later.

Charts in 'charts/' that Chart.yaml does not list are kept: only a chart that
Chart.yaml lists, at a version it does not accept, is removed.
"""

DEPENDENCY_BUILD = """
Rebuild the 'charts/' directory from the lock file (Chart.lock).

The dependencies are put back exactly at the versions the lock file records;
nothing is resolved again, as 'helm dependency update' would do. Without a lock
file this does what 'helm dependency update' does.
"""

SEARCH = """
Search for charts by keyword. Each subcommand searches one kind of place: 'repo'
searches the repositories added with 'helm repo add' (their cached indexes;
'helm repo update' refreshes them).
"""

SEARCH_REPO = """
Search the repositories added with 'helm repo add' for charts whose name,
description or keywords match the keyword. Only the local cache of each
repository's index is read: no network access is made ('helm repo update'
refreshes the cache).

Without a keyword every chart is listed. The keyword matches approximately;
with '--regexp' it is a regular expression.

The newest stable version of each chart is shown; '--versions' shows every
version, '--devel' includes pre-release versions, and '--version' takes a
version constraint:

    $ helm search repo nginx --version '^1.0.0'
"""

SHOW = """
Show information about a chart: its subcommands print the chart's definition,
values, README, CRDs, or all of them.
"""

SHOW_ALL = """
Look at a chart (a directory, an archive or a URL) and print all of its
information: Chart.yaml, values.yaml, the README and the CRDs.
"""

SHOW_CHART = """
Look at a chart (a directory, an archive or a URL) and print its Chart.yaml.
"""

SHOW_VALUES = """
Look at a chart (a directory, an archive or a URL) and print its values.yaml.
"""

SHOW_README = """
Look at a chart (a directory, an archive or a URL) and print its README file.
"""

SHOW_CRDS = """
Look at a chart (a directory, an archive or a URL) and print its
CustomResourceDefinition files.
"""

VERIFY = """
Check that a chart archive has a valid provenance file: that it was signed by a
key in the keyring and has not changed since it was signed.

This checks a chart archive on disk; the '--verify' flag of other commands runs
the same check. 'helm package --sign' makes a signed archive.
"""

# command path (without "helm") -> cobra's Long
LONG = {
    "create": CREATE,
    "lint": LINT,
    "package": PACKAGE,
    "pull": PULL,
    "push": PUSH,
    "registry": REGISTRY,
    "registry login": REGISTRY_LOGIN,
    "registry logout": REGISTRY_LOGOUT,
    "repo": REPO,
    "repo index": REPO_INDEX,
    "repo update": REPO_UPDATE,
    "dependency update": DEPENDENCY_UPDATE,
    "dependency build": DEPENDENCY_BUILD,
    "search": SEARCH,
    "search repo": SEARCH_REPO,
    "show": SHOW,
    "show all": SHOW_ALL,
    "show chart": SHOW_CHART,
    "show values": SHOW_VALUES,
    "show readme": SHOW_README,
    "show crds": SHOW_CRDS,
    "verify": VERIFY,
}

# command path -> cobra's Use line (its arguments appear in the usage line)
USE = {
    "create": "create NAME",
    "lint": "lint PATH",
    "package": "package [CHART_PATH] [...]",
    "pull": "pull [chart URL | repo/chartname] [...]",
    "push": "push [chart] [remote]",
    "verify": "verify PATH",
    "repo add": "add [NAME] [URL]",
    "repo index": "index [DIR]",
    "repo update": "update [REPO1 [REPO2 ...]]",
    "repo remove": "remove [REPO1 [REPO2 ...]]",
    "search repo": "repo [keyword]",
    "registry login": "login [host]",
    "registry logout": "logout [host]",
    "dependency update": "update CHART",
    "dependency build": "build CHART",
    "show all": "all [CHART]",
    "show chart": "chart [CHART]",
    "show values": "values [CHART]",
    "show readme": "readme [CHART]",
    "show crds": "crds [CHART]",
}

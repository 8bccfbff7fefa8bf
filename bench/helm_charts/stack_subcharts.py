"""The subcharts of the kube-prometheus-stack-shaped chart: dashboard server,
metrics exporter, node exporter, CRDs."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

from .common import _camel, _words, _write
from .stack_subchart_parts import (
    _generic_sub_templates,
    _pod_spec,
    _pod_values,
    _sub_helpers,
    _sub_values,
)


def _dashboard_server(base: str, name: str, rng: random.Random) -> None:
    tdir = os.path.join(base, "templates")
    _write(
        os.path.join(base, "Chart.yaml"),
        f"apiVersion: v2\nname: {name}\nversion: 8.5.1\nappVersion: 11.4.0\n"
        f"description: A dashboard server (generated for the benchmark).\n",
    )
    _write(os.path.join(tdir, "_helpers.tpl"), _sub_helpers(name))
    _write(os.path.join(tdir, "_pod.tpl"), _pod_spec(name))
    for fname, text in _generic_sub_templates(
        name, ["HorizontalPodAutoscaler", "PersistentVolumeClaim", "Ingress"]
    ).items():
        _write(os.path.join(tdir, fname), text)
    _write(
        os.path.join(tdir, "deployment.yaml"),
        f"""{{{{- if (not (eq .Values.persistence.type "statefulset")) }}}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
spec:
  replicas: {{{{ .Values.replicas }}}}
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  template:
    metadata:
      labels:
        {{{{- include "{name}.selectorLabels" . | nindent 8 }}}}
      annotations:
        checksum/config: {{{{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}}}
        checksum/secret: {{{{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}}}
    spec:
      {{{{- include "{name}.pod" . | nindent 6 }}}}
{{{{- end }}}}
""",
    )
    _write(
        os.path.join(tdir, "statefulset.yaml"),
        f"""{{{{- if eq .Values.persistence.type "statefulset" }}}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
spec:
  template:
    spec:
      {{{{- include "{name}.pod" . | nindent 6 }}}}
{{{{- end }}}}
""",
    )
    _write(
        os.path.join(tdir, "configmap.yaml"),
        f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
data:
  {name}.ini: |
  {{{{- range $elem, $elemVal := index .Values "{name}.ini" }}}}
    {{{{- if not (kindIs "map" $elemVal) }}}}
    {{{{- if kindIs "invalid" $elemVal }}}}
    {{{{ $elem }}}} =
    {{{{- else if kindIs "string" $elemVal }}}}
    {{{{ $elem }}}} = {{{{ tpl $elemVal $ }}}}
    {{{{- else }}}}
    {{{{ $elem }}}} = {{{{ $elemVal }}}}
    {{{{- end }}}}
    {{{{- end }}}}
  {{{{- end }}}}
  {{{{- range $key, $value := index .Values "{name}.ini" }}}}
    {{{{- if kindIs "map" $value }}}}
    [{{{{ $key }}}}]
    {{{{- range $elem, $elemVal := $value }}}}
    {{{{- if kindIs "invalid" $elemVal }}}}
    {{{{ $elem }}}} =
    {{{{- else if kindIs "string" $elemVal }}}}
    {{{{ $elem }}}} = {{{{ tpl $elemVal $ }}}}
    {{{{- else }}}}
    {{{{ $elem }}}} = {{{{ $elemVal }}}}
    {{{{- end }}}}
    {{{{- end }}}}
    {{{{- end }}}}
  {{{{- end }}}}
""",
    )
    _write(
        os.path.join(tdir, "secret.yaml"),
        f"""{{{{- if not .Values.admin.existingSecret }}}}
apiVersion: v1
kind: Secret
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
type: Opaque
data:
  admin-user: {{{{ .Values.adminUser | b64enc | quote }}}}
  admin-password: {{{{ .Values.adminPassword | default "prom-operator" | b64enc | quote }}}}
  {{{{- range $k, $v := .Values.extraSecretData }}}}
  {{{{ $k }}}}: {{{{ $v | toString | b64enc | quote }}}}
  {{{{- end }}}}
{{{{- end }}}}
""",
    )
    for i in range(6):
        _write(
            os.path.join(tdir, "tests", f"test-{i}.yaml"),
            f"""{{{{- if .Values.testFramework.enabled }}}}
apiVersion: v1
kind: Pod
metadata:
  name: {{{{ include "{name}.fullname" . }}}}-test-{i}
  annotations:
    "helm.sh/hook": test-success
    "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"
spec:
  containers:
    - name: {{{{ .Release.Name }}}}-test
      image: "{{{{ .Values.testFramework.image.registry }}}}/{{{{ .Values.testFramework.image.repository }}}}:{{{{ .Values.testFramework.image.tag }}}}"
      command: ["/opt/bats/bin/bats", "-t", "/tests/run.sh"]
  restartPolicy: Never
{{{{- end }}}}
""",
        )
    for part in ("deployment", "service", "servicemonitor", "networkpolicy", "hpa"):
        _write(
            os.path.join(tdir, f"image-renderer-{part}.yaml"),
            f"""{{{{- if .Values.imageRenderer.enabled }}}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "{name}.fullname" . }}}}-image-renderer-{part}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
data:
  spec: |
{{{{ toYaml .Values.imageRenderer | indent 4 }}}}
{{{{- end }}}}
""",
        )
    _write(
        os.path.join(tdir, "dashboards-json-configmap.yaml"),
        f"""{{{{- range $provider, $dashboards := .Values.dashboards }}}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "{name}.fullname" $ }}}}-dashboards-{{{{ $provider }}}}
  namespace: {{{{ include "{name}.namespace" $ }}}}
data:
{{{{- range $key, $value := $dashboards }}}}
  {{{{ print $key ".json" }}}}: |
{{{{ toPrettyJson $value | indent 4 }}}}
{{{{- end }}}}
{{{{- end }}}}
""",
    )
    dashboards = "\n".join(
        f"    dash{i}:\n      title: Dashboard {i}\n      panels:\n"
        + "".join(
            f"        - {{id: {j}, type: timeseries, title: '{_words(rng, 3)}'}}\n"
            for j in range(8)
        )
        for i in range(6)
    )
    _write(
        os.path.join(base, "values.yaml"),
        _sub_values(
            name,
            rng,
            _pod_values(name)
            + f"""replicas: 1
persistence:
  type: pvc
  enabled: false
horizontalPodAutoscaler:
  enabled: false
persistentVolumeClaim:
  enabled: false
ingress:
  enabled: false
admin:
  existingSecret: ""
adminUser: admin
adminPassword: ""
extraSecretData: {{}}
testFramework:
  enabled: true
  image:
    registry: docker.io
    repository: example/bats
    tag: "v1.4.1"
imageRenderer:
  enabled: false
  replicas: 1
dashboards:
  default:
{dashboards}
""",
        ),
    )


def _metrics_exporter(base: str, name: str, rng: random.Random) -> None:
    tdir = os.path.join(base, "templates")
    _write(
        os.path.join(base, "Chart.yaml"),
        f"apiVersion: v2\nname: {name}\nversion: 5.27.0\nappVersion: 2.14.0\n"
        "description: A cluster-state metrics exporter (generated for the benchmark).\n",
    )
    _write(os.path.join(tdir, "_helpers.tpl"), _sub_helpers(name))
    for fname, text in _generic_sub_templates(
        name, ["VerticalPodAutoscaler", "Secret", "ConfigMap"]
    ).items():
        _write(os.path.join(tdir, fname), text)
    collectors = [
        "certificatesigningrequests", "configmaps", "cronjobs", "daemonsets", "deployments",
        "endpoints", "horizontalpodautoscalers", "ingresses", "jobs", "leases", "limitranges",
        "mutatingwebhookconfigurations", "namespaces", "networkpolicies", "nodes",
        "persistentvolumeclaims", "persistentvolumes", "poddisruptionbudgets", "pods",
        "replicasets", "replicationcontrollers", "resourcequotas", "secrets", "services",
        "statefulsets", "storageclasses", "validatingwebhookconfigurations",
        "volumeattachments",
    ]  # fmt: skip
    blocks = "".join(
        f"""{{{{ if has "{c}" $.Values.collectors }}}}
- apiGroups: ["{rng.choice(["", "apps", "batch", "networking.k8s.io", "policy"])}"]
  resources:
  - {c}
  verbs: ["list", "watch"]
{{{{ end -}}}}
"""
        for c in collectors
    )
    _write(
        os.path.join(tdir, "role.yaml"),
        f"""{{{{- if and (eq .Values.rbac.create true) (not .Values.rbac.useExistingRole) -}}}}
{{{{- range (ternary (join "," .Values.namespaces | split "," ) (list "") (eq $.Values.rbac.useClusterRole false)) }}}}
---
apiVersion: rbac.authorization.k8s.io/v1
{{{{- if eq $.Values.rbac.useClusterRole false }}}}
kind: Role
{{{{- else }}}}
kind: ClusterRole
{{{{- end }}}}
metadata:
  labels:
    {{{{- include "{name}.labels" $ | nindent 4 }}}}
  name: {{{{ template "{name}.fullname" $ }}}}
{{{{- if eq $.Values.rbac.useClusterRole false }}}}
  namespace: {{{{ . }}}}
{{{{- end }}}}
rules:
{blocks}{{{{ if $.Values.rbac.extraRules }}}}
{{{{ toYaml $.Values.rbac.extraRules }}}}
{{{{ end }}}}
{{{{- end -}}}}
{{{{- end -}}}}
""",
    )
    _write(
        os.path.join(tdir, "deployment.yaml"),
        f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ template "{name}.fullname" . }}}}
  namespace: {{{{ template "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
spec:
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  replicas: {{{{ .Values.replicas }}}}
  template:
    metadata:
      labels:
        {{{{- include "{name}.labels" . | nindent 8 }}}}
    spec:
      serviceAccountName: {{{{ template "{name}.serviceAccountName" . }}}}
      containers:
      - name: {{{{ template "{name}.name" . }}}}
        args:
        - --port={{{{ .Values.service.port | default 8080 }}}}
        {{{{- if .Values.collectors }}}}
        - --resources={{{{ .Values.collectors | join "," }}}}
        {{{{- end }}}}
        {{{{- if .Values.metricLabelsAllowlist }}}}
        - --metric-labels-allowlist={{{{ .Values.metricLabelsAllowlist | join "," }}}}
        {{{{- end }}}}
        {{{{- if .Values.namespaces }}}}
        - --namespaces={{{{ tpl (.Values.namespaces | join ",") $ }}}}
        {{{{- end }}}}
        {{{{- range $key, $value := .Values.extraArgs }}}}
        - --{{{{ $key }}}}={{{{ $value }}}}
        {{{{- end }}}}
        image: {{{{ include "{name}.image" . }}}}
        ports:
        - containerPort: {{{{ .Values.service.port | default 8080 }}}}
          name: http
        livenessProbe:
          httpGet:
            path: /livez
            port: {{{{ .Values.service.port | default 8080 }}}}
        {{{{- with .Values.resources }}}}
        resources:
{{{{ toYaml . | indent 10 }}}}
        {{{{- end }}}}
""",
    )
    _write(
        os.path.join(base, "values.yaml"),
        _sub_values(
            name,
            rng,
            "replicas: 1\nnamespaces: []\nmetricLabelsAllowlist:\n"
            + "".join(f"  - {c}=[*]\n" for c in collectors[:10])
            + "extraArgs: {}\ncollectors:\n"
            + "".join(f"  - {c}\n" for c in collectors)
            + "verticalPodAutoscaler:\n  enabled: false\n"
            "secret:\n  enabled: false\nconfigMap:\n  enabled: false\n",
        ),
    )


def _node_exporter(base: str, name: str, rng: random.Random) -> None:
    tdir = os.path.join(base, "templates")
    _write(
        os.path.join(base, "Chart.yaml"),
        f"apiVersion: v2\nname: {name}\nversion: 4.43.1\nappVersion: 1.8.2\n"
        "description: A node metrics exporter (generated for the benchmark).\n",
    )
    _write(os.path.join(tdir, "_helpers.tpl"), _sub_helpers(name))
    for fname, text in _generic_sub_templates(
        name, ["VerticalPodAutoscaler", "PodMonitor", "Endpoints"]
    ).items():
        _write(os.path.join(tdir, fname), text)
    _write(
        os.path.join(tdir, "daemonset.yaml"),
        f"""apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
spec:
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  updateStrategy:
    {{{{- toYaml .Values.updateStrategy | nindent 4 }}}}
  template:
    metadata:
      labels:
        {{{{- include "{name}.labels" . | nindent 8 }}}}
    spec:
      automountServiceAccountToken: {{{{ ternary true false (or .Values.serviceAccount.automountServiceAccountToken .Values.kubeRBACProxy.enabled) }}}}
      serviceAccountName: {{{{ include "{name}.serviceAccountName" . }}}}
      containers:
        - name: node-exporter
          image: {{{{ include "{name}.image" . }}}}
          args:
            - --path.procfs=/host/proc
            - --path.sysfs=/host/sys
            {{{{- if .Values.hostRootFsMount.enabled }}}}
            - --path.rootfs=/host/root
            {{{{- end }}}}
            - --web.listen-address=[$(HOST_IP)]:{{{{ .Values.service.port }}}}
            {{{{- with .Values.extraArgs }}}}
            {{{{- toYaml . | nindent 12 }}}}
            {{{{- end }}}}
          env:
            - name: HOST_IP
              value: 0.0.0.0
          {{{{- range $key, $value := .Values.env }}}}
            - name: {{{{ $key }}}}
              value: {{{{ $value | quote }}}}
          {{{{- end }}}}
          ports:
            - name: {{{{ .Values.service.portName }}}}
              containerPort: {{{{ .Values.service.port }}}}
          volumeMounts:
            - name: proc
              mountPath: /host/proc
              readOnly:  true
            - name: sys
              mountPath: /host/sys
              readOnly: true
            {{{{- range $_, $mount := .Values.extraHostVolumeMounts }}}}
            - name: {{{{ $mount.name }}}}
              mountPath: {{{{ $mount.mountPath }}}}
              readOnly: {{{{ $mount.readOnly }}}}
            {{{{- end }}}}
      hostNetwork: {{{{ .Values.hostNetwork }}}}
      hostPID: {{{{ .Values.hostPID }}}}
      {{{{- with .Values.tolerations }}}}
      tolerations:
        {{{{- toYaml . | nindent 8 }}}}
      {{{{- end }}}}
      volumes:
        - name: proc
          hostPath:
            path: /proc
        - name: sys
          hostPath:
            path: /sys
""",
    )
    _write(
        os.path.join(base, "values.yaml"),
        _sub_values(
            name,
            rng,
            "updateStrategy:\n  type: RollingUpdate\n  rollingUpdate:\n    maxUnavailable: 1\n"
            "kubeRBACProxy:\n  enabled: false\nhostRootFsMount:\n  enabled: true\n"
            "extraArgs:\n"
            + "".join(f"  - --collector.{c}\n" for c in ("systemd", "processes", "ethtool"))
            + "env:\n  GOMAXPROCS: '1'\nextraHostVolumeMounts: []\nhostNetwork: true\n"
            "hostPID: true\nverticalPodAutoscaler:\n  enabled: false\npodMonitor:\n"
            "  enabled: false\nendpoints:\n  enabled: false\n",
        ),
    )


def _crd(rng: random.Random, kind: str, depth: int) -> str:
    def props(level: int) -> Iterator[str]:
        pad = "  " * (level * 2 + 8)
        for i in range(rng.randint(4, 9)):
            pname = f"{_camel(_words(rng, 2).replace(' ', '-'))}{i}"
            if level < depth and rng.random() < 0.45:
                yield f"{pad}{pname}:\n{pad}  description: {_words(rng, 14)}\n"
                yield f"{pad}  type: object\n{pad}  properties:\n"
                yield from props(level + 1)
            else:
                typ = rng.choice(["string", "integer", "boolean"])
                yield f"{pad}{pname}:\n{pad}  description: |-\n"
                yield f"{pad}    {_words(rng, 18)}\n{pad}    {_words(rng, 12)}\n"
                yield f"{pad}  type: {typ}\n"

    plural = kind.lower() + "s"
    return (
        f"""# Generated by bench/helm_charts.py
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    controller-gen.kubebuilder.io/version: v0.16.1
  name: {plural}.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {kind.lower()}
  scope: Namespaced
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        properties:
          spec:
            properties:
"""
        + "".join(props(0))
        + "            type: object\n        type: object\n    served: true\n    storage: true\n"
    )

{{/* Expand the name of the chart. */}}
{{- define "parent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "parent.fullname" -}}
{{- printf "%s-%s" .Release.Name (include "parent.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "parent.labels" -}}
app.kubernetes.io/name: {{ include "parent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

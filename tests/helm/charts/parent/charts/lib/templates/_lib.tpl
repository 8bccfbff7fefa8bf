{{- define "lib.labels" -}}
lib.example.com/chart: {{ .Chart.Name }}
lib.example.com/release: {{ .Release.Name | upper }}
{{- end -}}

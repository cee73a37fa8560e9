{{/* Chart name, truncated to the 63 characters a label allows. */}}
{{- define "smartcloudops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, or release-chart when they differ. */}}
{{- define "smartcloudops.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "smartcloudops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "smartcloudops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "smartcloudops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The bot's pods only: the migration Job's pods share the labels above but not this one, so
     the Service, the PodDisruptionBudget and the spread constraints never count them. */}}
{{- define "smartcloudops.botSelectorLabels" -}}
{{ include "smartcloudops.selectorLabels" . }}
app.kubernetes.io/component: bot
{{- end }}

{{- define "smartcloudops.labels" -}}
helm.sh/chart: {{ include "smartcloudops.chart" . }}
{{ include "smartcloudops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: smartcloudops
{{- end }}

{{- define "smartcloudops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "smartcloudops.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "smartcloudops.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret every pod loads with envFrom: the user's, or the chart's own. */}}
{{- define "smartcloudops.secretName" -}}
{{- default (include "smartcloudops.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Secret holding DATABASE_URL for the migration hook, which runs before the release's own
     Secret exists: a hook-scoped copy, or the user's existing Secret. */}}
{{- define "smartcloudops.migrationSecretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-migrate" (include "smartcloudops.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "smartcloudops.redisUrl" -}}
{{- with .Values.externalRedis }}
{{- if .url }}
{{- .url }}
{{- else }}
{{- $auth := "" }}
{{- if .password }}{{ $auth = printf ":%s@" (.password | urlquery) }}{{ end }}
{{- printf "%s://%s%s:%v/%v" (ternary "rediss" "redis" .tls) $auth .host .port .db }}
{{- end }}
{{- end }}
{{- end }}

{{- define "smartcloudops.databaseUrl" -}}
{{- with .Values.externalDatabase }}
{{- if .url }}
{{- .url }}
{{- else }}
{{- $auth := .user | urlquery }}
{{- if .password }}{{ $auth = printf "%s:%s" $auth (.password | urlquery) }}{{ end }}
{{- $query := "" }}
{{- if .sslmode }}{{ $query = printf "?sslmode=%s" .sslmode }}{{ end }}
{{- printf "postgresql+psycopg://%s@%s:%v/%s%s" $auth .host .port .database $query }}
{{- end }}
{{- end }}
{{- end }}

{{/* Namespaces the Kubernetes executor may act on. */}}
{{- define "smartcloudops.rbacNamespaces" -}}
{{- if .Values.rbac.namespaces }}
{{- toJson .Values.rbac.namespaces }}
{{- else }}
{{- toJson (list .Release.Namespace) }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by the bot and the migration Job. */}}
{{- define "smartcloudops.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}

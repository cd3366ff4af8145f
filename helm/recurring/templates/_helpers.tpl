{{/* Chart name, overridable. */}}
{{- define "recurring.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name used for every object of the release. */}}
{{- define "recurring.fullname" -}}
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

{{- define "recurring.selectorLabels" -}}
app.kubernetes.io/name: {{ include "recurring.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "recurring.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "recurring.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "recurring.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "recurring.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-checkpoints" (include "recurring.fullname" .)) }}
{{- end }}

{{/* The image's WORKDIR (both Dockerfiles): the daemon reads appsettings*.json from here. */}}
{{- define "recurring.appDirectory" -}}
/app
{{- end }}

{{- define "recurring.overlayFileName" -}}
{{- printf "appsettings.%s.json" .Values.environment }}
{{- end }}

{{/*
The appsettings overlay: the Kafka values, then .Values.appsettings on top. Empty Kafka values are
left out so that the image defaults stay in force. Settings the chart itself depends on (admin
address and port, checkpoint directory, dead-letter file, training device) are environment
variables instead, which win over every appsettings file.
*/}}
{{- define "recurring.appsettingsOverlay" -}}
{{- $kafka := dict "Topic" .Values.kafka.topic "GroupId" .Values.kafka.groupId }}
{{- with .Values.kafka.bootstrapServers }}{{ $_ := set $kafka "BootstrapServers" . }}{{ end }}
{{- with .Values.kafka.deadLetterTopic }}{{ $_ := set $kafka "DeadLetterTopic" . }}{{ end }}
{{- with .Values.kafka.modelUpdatesTopic }}{{ $_ := set $kafka "ModelUpdatesTopic" . }}{{ end }}
{{- with .Values.kafka.properties }}{{ $_ := set $kafka "Properties" . }}{{ end }}
{{- $overlay := dict "Kafka" $kafka }}
{{- $remote := .Values.checkpoints.remote }}
{{- if ne $remote.kind "none" }}
{{- $settings := dict "Kind" $remote.kind "Uri" $remote.uri "MaxLagSeconds" $remote.maxLagSeconds }}
{{- with $remote.endpoint }}{{ $_ := set $settings "Endpoint" . }}{{ end }}
{{- with $remote.region }}{{ $_ := set $settings "Region" . }}{{ end }}
{{- $_ := set $overlay "Checkpoints" (dict "Remote" $settings) }}
{{- end }}
{{- mustMergeOverwrite $overlay (deepCopy .Values.appsettings) | toPrettyJson }}
{{- end }}

{{- define "recurring.deadLetterFile" -}}
{{- printf "%s/dead-letters.jsonl" (trimSuffix "/" .Values.persistence.mountPath) }}
{{- end }}

{{/* Fails the render when the checkpoints would not land on the persistent volume. */}}
{{- define "recurring.validate" -}}
{{- $mount := trimSuffix "/" .Values.persistence.mountPath }}
{{- if not (hasPrefix (printf "%s/" $mount) (printf "%s/" (trimSuffix "/" .Values.checkpoints.directory))) }}
{{- fail (printf "checkpoints.directory (%s) must lie under persistence.mountPath (%s)" .Values.checkpoints.directory .Values.persistence.mountPath) }}
{{- end }}
{{- if ge (int .Values.shutdownMarginSeconds) (int .Values.terminationGracePeriodSeconds) }}
{{- fail "shutdownMarginSeconds must be smaller than terminationGracePeriodSeconds" }}
{{- end }}
{{- end }}

{{- define "recurring.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ default (include "recurring.fullname" .) .Values.serviceAccount.name }}{{ else }}{{ .Values.serviceAccount.name }}{{ end }}
{{- end }}

{{- /*
prewarm.quantityBytes: a Kubernetes quantity as a whole number of bytes
(decimal fractions rounded down). The one size parser of both charts: PVC
sizes and pruner budgets. Call with (dict "q" "20Gi" "key" "caches.npm.size")
and "bytes" true where a bare integer means bytes (a budget); a PVC size
must carry a unit, since "10" would ask for ten bytes. Fails naming .key
when the quantity is not supported or not greater than zero.
*/ -}}
{{- define "prewarm.quantityBytes" -}}
{{- $q := .q -}}
{{- if or (kindIs "float64" $q) (kindIs "int" $q) (kindIs "int64" $q) -}}
{{- if not .bytes -}}
{{- fail (printf "%s: %v has no unit: use a quantity like 10Gi or 500Mi (a bare number would mean bytes)" .key $q) -}}
{{- end -}}
{{- $q = printf "%.0f" (float64 $q) -}}
{{- end -}}
{{- $q = toString $q -}}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$" $q) -}}
{{- fail (printf "%s: %q is not a storage size: use a quantity like 10Gi or 500Mi (a number followed by Ki, Mi, Gi, Ti, Pi, Ei, or k, M, G, T, P, E)" .key $q) -}}
{{- end -}}
{{- $unit := regexFind "(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)$" $q -}}
{{- $num := trimSuffix $unit $q -}}
{{- $mults := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "E" 1000000000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 "Ei" 1152921504606846976 -}}
{{- $mult := get $mults $unit | int64 -}}
{{- $bytes := 0 -}}
{{- if contains "." $num -}}
{{- $bytes = mulf (float64 $num) $mult | floor | int64 -}}
{{- else -}}
{{- $digits := regexReplaceAll "^0+([0-9])" $num "${1}" -}}
{{- if gt (len $digits) 18 -}}
{{- fail (printf "%s: %q is too large" .key $q) -}}
{{- end -}}
{{- $n := int64 $digits -}}
{{- $bytes = mul $n $mult -}}
{{- if and (gt $n 0) (ne (div $bytes $n) $mult) -}}
{{- fail (printf "%s: %q is too large" .key $q) -}}
{{- end -}}
{{- end -}}
{{- if le ($bytes | int64) 0 -}}
{{- fail (printf "%s: %q must be greater than zero (or is too large)" .key $q) -}}
{{- end -}}
{{- $bytes -}}
{{- end -}}

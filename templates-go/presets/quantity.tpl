{{- /*
prewarm.quantityBytes: a storage size such as 10Gi or 500M as a byte count.
Charts size pruner budgets from their PVC sizes with it. Integer sizes only;
the charts' schemas enforce that shape.
*/ -}}
{{- define "prewarm.quantityBytes" -}}
{{- $m := regexFindAll "^([0-9]+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$" (toString .) 1 -}}
{{- if not $m }}{{ fail (printf "size %q is not an integer storage quantity such as 10Gi or 500M" (toString .)) }}{{ end -}}
{{- $num := regexFind "^[0-9]+" (toString .) | atoi -}}
{{- $unit := regexFind "[A-Za-z]+$" (toString .) -}}
{{- $mult := get (dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624) $unit -}}
{{- mul $num $mult -}}
{{- end -}}

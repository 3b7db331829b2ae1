package config

// DescribeBroker describes the broker configs named in keys (all of them,
// in table order, when keys is empty; unknown names are left out), as
// DescribeConfigs for a BROKER resource returns them: every config,
// including those at their default, with its effective value, source and
// synonyms. The dynamic layers are those given to WithDynamic.
func (b *Broker) DescribeBroker(keys []string) []Entry {
	var out []Entry
	for _, d := range selectDefs(brokerDefs, brokerIndex, keys) {
		out = append(out, b.describeBroker(d))
	}
	return out
}

func (b *Broker) describeBroker(d *Def) Entry {
	e := Entry{Name: d.Name, ReadOnly: !d.Dynamic, Sensitive: d.Sensitive, Type: d.Type, Doc: d.Doc, Source: SourceDefault}
	occ := b.occurrences(d)
	e.Synonyms = synonyms(occ, d.Sensitive)
	if len(occ) > 0 {
		e.Source = occ[0].source
		if !d.Sensitive {
			e.Value = canonical(d, occ[0])
		}
	}
	return e
}

// DescribeTopic describes the topic configs named in keys (all, when keys
// is empty) of a topic with the given overrides, as DescribeConfigs for a
// TOPIC resource returns them: every config with its effective value, its
// source (TOPIC when overridden, else where the broker synonym's value
// comes from, else DEFAULT) and the synonyms, the topic override first.
func (b *Broker) DescribeTopic(overrides map[string]string, keys []string) []Entry {
	var out []Entry
	for _, d := range selectDefs(topicDefs, topicIndex, keys) {
		out = append(out, b.describeTopic(d, overrides))
	}
	return out
}

func (b *Broker) describeTopic(d *Def, overrides map[string]string) Entry {
	e := Entry{Name: d.Name, Sensitive: d.Sensitive, Type: d.Type, Doc: d.Doc, Source: SourceDefault}
	var occ []occurrence
	if raw, ok := overrides[d.Name]; ok {
		occ = append(occ, occurrence{name: d.Name, raw: raw, source: SourceTopic})
	}
	if d.BrokerSynonym != "" {
		occ = append(occ, b.occurrences(brokerIndex[d.BrokerSynonym])...)
	}
	e.Synonyms = synonyms(occ, d.Sensitive)
	if len(occ) > 0 {
		e.Source = occ[0].source
	}
	if !d.Sensitive {
		v, err := b.topicValue(d, overrides)
		switch {
		case err != nil && len(occ) > 0 && occ[0].source == SourceTopic:
			// Show an invalid override as it is stored, rather than a
			// value that its source does not hold.
			e.Value = ptr(occ[0].raw)
		case v != nil:
			e.Value = ptr(formatValue(v))
		}
	}
	return e
}

// selectDefs returns the definitions named in keys, or all of defs.
func selectDefs(defs []Def, index map[string]*Def, keys []string) []*Def {
	var out []*Def
	if len(keys) == 0 {
		for i := range defs {
			out = append(out, &defs[i])
		}
		return out
	}
	for _, k := range keys {
		if d, ok := index[k]; ok {
			out = append(out, d)
		}
	}
	return out
}

// canonical is the value of occurrence o converted to d's unit and
// formatted; the raw string when it does not parse.
func canonical(d *Def, o occurrence) *string {
	v, err := occValue(d, o)
	if err != nil {
		return ptr(o.raw)
	}
	return ptr(formatValue(v))
}

func synonyms(occ []occurrence, sensitive bool) []Synonym {
	out := make([]Synonym, 0, len(occ))
	for _, o := range occ {
		s := Synonym{Name: o.name, Source: o.source}
		if !sensitive {
			s.Value = ptr(o.raw)
		}
		out = append(out, s)
	}
	return out
}

func ptr(s string) *string { return &s }

// Renders the controls of the settings that each container names in its data-settings attribute
// ("hidden,layers"), from their declarations in state.js: a select for enumerations and suggested
// values, a checkbox for flags, a slider for the views' t, a number field otherwise. Every control
// is labelled; onChange(name, value) receives valid values only (an invalid entry is reverted, and
// onInvalid(text) says what was refused and what is allowed).
import { allowedText, byName, formatValue, parseValue } from '../state.js';

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

export class Controls {
  constructor(root, { onChange, onInvalid = () => {} }) {
    this.onChange = onChange;
    this.onInvalid = onInvalid;
    this.inputs = new Map();
    this.fields = new Map();
    this.values = {};
    for (const container of root.querySelectorAll('[data-settings]')) {
      for (const name of container.dataset.settings.split(',')) {
        const decl = byName[name.trim()];
        if (!decl) throw new Error(`no setting named ${name}`);
        container.append(this.render(decl));
      }
    }
  }

  render(decl) {
    const id = `setting-${decl.name}`;
    const field = document.createElement('div');
    field.className = `field field-${decl.control ?? decl.type}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = decl.label;
    let input;
    if (decl.type === 'bool') {
      input = document.createElement('input');
      input.type = 'checkbox';
    } else if (decl.control === 'range') {
      input = document.createElement('input');
      Object.assign(input, { type: 'range', min: decl.min, max: decl.max, step: decl.step ?? 1 });
    } else if (decl.type === 'class') {
      input = document.createElement('select');  // options: setClasses()
      input.append(option('all', 'all'));
    } else if (decl.type === 'enum' || decl.choices) {
      input = document.createElement('select');
      for (const v of decl.values ?? decl.choices) input.append(option(formatValue(decl, v), decl.names?.[v] ?? formatValue(decl, v)));
    } else {
      input = document.createElement('input');
      Object.assign(input, { type: 'number', min: decl.min, max: decl.max, step: decl.type === 'int' ? 1 : 'any' });
    }
    input.id = id;
    input.name = decl.name;
    input.dataset.testid = decl.testid ?? id;
    const event = decl.control === 'range' ? 'input' : 'change';
    input.addEventListener(event, () => this.changed(decl, input));
    if (decl.type === 'bool') field.append(input, label);
    else field.append(label, input);
    if (decl.control === 'range') {
      const out = document.createElement('output');
      out.htmlFor = id;
      field.append(out);
      this.inputs.set(`${decl.name}:output`, out);
    }
    this.inputs.set(decl.name, input);
    this.fields.set(decl.name, field);
    return field;
  }

  changed(decl, input) {
    const value = decl.type === 'bool' ? input.checked : parseValue(decl, input.value);
    if (value === undefined) {
      // A number field that holds no number ("NaN", "1e") reads as "": the browser says it was bad.
      const entered = input.validity?.badInput ? 'not a number' : `"${input.value}"`;
      this.show(decl.name, this.values[decl.name]);  // revert an invalid entry
      this.onInvalid(`${decl.label} = ${entered} is not allowed: it must be ${allowedText(decl)}; ` +
        `it stays ${formatValue(decl, this.values[decl.name])}`);
      return;
    }
    this.show(decl.name, value);
    this.onChange(decl.name, value);
  }

  // Shows these values in their controls (for a select, adds an option for an unlisted value).
  set(values) {
    for (const name of Object.keys(values)) if (this.inputs.has(name)) this.show(name, values[name]);
  }

  show(name, value) {
    const decl = byName[name], input = this.inputs.get(name);
    this.values[name] = value;
    if (decl.type === 'bool') input.checked = value;
    else {
      const text = formatValue(decl, value);
      if (input.tagName === 'SELECT' && ![...input.options].some((o) => o.value === text)) input.append(option(text, text));
      input.value = text;
    }
    const out = this.inputs.get(`${name}:output`);
    if (out) out.textContent = String(value);
  }

  // Narrows a slider's range (the views' t run over 0..T-1).
  setMax(name, max) {
    const input = this.inputs.get(name);
    if (input) input.max = max;
  }

  // A control's tooltip (the spacing's says which spacing 'default' is).
  setTitle(name, text) {
    const input = this.inputs.get(name);
    if (input) input.title = text;
  }

  // The text of one option of a select (Heun's steps say their model calls).
  setOptionText(name, value, text) {
    const input = this.inputs.get(name);
    const o = input?.tagName === 'SELECT' ? [...input.options].find((x) => x.value === value) : null;
    if (o) o.textContent = text;
  }

  // title: why a disabled control is (its tooltip; '' clears it).
  enable(name, on, title) {
    const input = this.inputs.get(name);
    if (!input) return;
    input.disabled = !on;
    if (title !== undefined) input.title = title;
  }

  // One option of a select (the samplers a flow model has not).
  enableOption(name, value, on) {
    const input = this.inputs.get(name);
    const o = input?.tagName === 'SELECT' ? [...input.options].find((x) => x.value === value) : null;
    if (o) o.disabled = !on;
  }

  // Shows or hides a setting's whole field (label and control).
  visible(name, on) {
    const field = this.fields.get(name);
    if (field) field.hidden = !on;
  }

  // The options of a class control: all, then 0..K-1 (named by `names` where given).
  setClasses(name, K, names = []) {
    const input = this.inputs.get(name);
    if (!input) return;
    input.replaceChildren(option('all', `all (0..${K - 1})`));
    for (let k = 0; k < K; k++) input.append(option(String(k), names[k] ? `${k}: ${names[k]}` : String(k)));
    this.show(name, this.values[name] ?? 'all');
  }
}

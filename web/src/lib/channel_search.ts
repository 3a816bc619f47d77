/**
 * The history explorer's channel search: every word must occur in the name; names where a word
 * is a whole part of the path ("voltage" in string/1/voltage, "string/1" in string/1/current)
 * come before names where it is only inside a part (string/1/highest_voltage), then shorter
 * names, then the store's order. So "string/1 voltage" offers the string's voltage first, not
 * one of the quantities derived from it.
 */
export function matchChannels(names: string[], search: string, limit = 60): string[] {
  const words = search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const whole = (name: string, word: string) => name === word || name.startsWith(`${word}/`) || name.endsWith(`/${word}`) || name.includes(`/${word}/`);
  const ranked: { name: string; score: number; index: number }[] = [];
  names.forEach((name, index) => {
    const n = name.toLowerCase();
    if (!words.every((w) => n.includes(w))) return;
    ranked.push({ name, score: words.filter((w) => whole(n, w)).length, index });
  });
  ranked.sort((a, b) => b.score - a.score || a.name.length - b.name.length || a.index - b.index);
  return ranked.slice(0, limit).map((r) => r.name);
}

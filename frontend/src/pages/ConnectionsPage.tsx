export default function ConnectionsPage() {
  return <h1>ConnectionsPage</h1>;
}

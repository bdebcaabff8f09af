export default function RunDetailPage() {
  return <h1>RunDetailPage</h1>;
}
